"""Settings of running Gallery: the nightly fixity audit and the stuck-photo sweeper (both run by
Celery beat)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gallery.config.parsing import integer


@dataclass(frozen=True)
class OperationsSettings:
    # GALLERY_FIXITY_CYCLE_DAYS: the nightly audit checks a share of the originals so that every
    # original is verified at least once in this many days.
    fixity_cycle_days: int = 90
    # GALLERY_FIXITY_HOUR: the hour (0-23, UTC) at which Celery beat starts the nightly audit.
    fixity_hour: int = 3
    # GALLERY_STUCK_AFTER_MINUTES: a photo processing longer than this is queued again by the sweeper,
    # which runs every GALLERY_SWEEP_INTERVAL_SECONDS.
    stuck_after_minutes: int = 30
    sweep_interval_seconds: int = 300

    def describe(self) -> dict[str, str]:
        return {
            "GALLERY_FIXITY_CYCLE_DAYS": str(self.fixity_cycle_days),
            "GALLERY_FIXITY_HOUR": str(self.fixity_hour),
            "GALLERY_STUCK_AFTER_MINUTES": str(self.stuck_after_minutes),
            "GALLERY_SWEEP_INTERVAL_SECONDS": str(self.sweep_interval_seconds),
        }


def load(env: Mapping[str, str]) -> OperationsSettings:
    return OperationsSettings(
        fixity_cycle_days=integer(env, "GALLERY_FIXITY_CYCLE_DAYS", 90, minimum=2, maximum=3650),
        fixity_hour=integer(env, "GALLERY_FIXITY_HOUR", 3, minimum=0, maximum=23),
        stuck_after_minutes=integer(env, "GALLERY_STUCK_AFTER_MINUTES", 30, minimum=1, maximum=7 * 24 * 60),
        sweep_interval_seconds=integer(env, "GALLERY_SWEEP_INTERVAL_SECONDS", 300, minimum=10, maximum=24 * 3600),
    )
