"""gallery/config/schedule.py: the session margin."""

from __future__ import annotations

import pytest

from gallery.config.parsing import ConfigError
from gallery.config.schedule import load


def test_margin() -> None:
    assert load({}).session_margin_minutes == 10
    assert load({"GALLERY_SESSION_MARGIN_MINUTES": "0"}).session_margin_minutes == 0
    with pytest.raises(ConfigError, match="GALLERY_SESSION_MARGIN_MINUTES"):
        load({"GALLERY_SESSION_MARGIN_MINUTES": "-1"})
