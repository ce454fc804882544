"""gallery/config/operations.py: the fixity audit's cycle."""

from __future__ import annotations

import pytest

from gallery.config.operations import load
from gallery.config.parsing import ConfigError


def test_fixity_cycle() -> None:
    assert load({}).fixity_cycle_days == 90
    with pytest.raises(ConfigError, match="GALLERY_FIXITY_CYCLE_DAYS"):
        load({"GALLERY_FIXITY_CYCLE_DAYS": "1"})


def test_sweeper_and_hour() -> None:
    s = load({"GALLERY_STUCK_AFTER_MINUTES": "5", "GALLERY_SWEEP_INTERVAL_SECONDS": "60", "GALLERY_FIXITY_HOUR": "23"})
    assert (s.stuck_after_minutes, s.sweep_interval_seconds, s.fixity_hour) == (5, 60, 23)
    with pytest.raises(ConfigError, match="GALLERY_SWEEP_INTERVAL_SECONDS"):
        load({"GALLERY_SWEEP_INTERVAL_SECONDS": "1"})
    with pytest.raises(ConfigError, match="GALLERY_FIXITY_HOUR"):
        load({"GALLERY_FIXITY_HOUR": "24"})
