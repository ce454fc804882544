"""gallery/config/operations.py: the fixity audit's cycle."""

from __future__ import annotations

import pytest

from gallery.config.operations import load
from gallery.config.parsing import ConfigError


def test_fixity_cycle() -> None:
    assert load({}).fixity_cycle_days == 90
    with pytest.raises(ConfigError, match="GALLERY_FIXITY_CYCLE_DAYS"):
        load({"GALLERY_FIXITY_CYCLE_DAYS": "0"})
