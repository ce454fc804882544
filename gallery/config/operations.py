"""Settings of running Gallery: the fixity audit's cycle and the stuck-photo sweeper."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gallery.config.parsing import integer


@dataclass(frozen=True)
class OperationsSettings:
    # GALLERY_FIXITY_CYCLE_DAYS: the nightly audit checks a share of the originals so that every
    # original is verified at least once in this many days.
    fixity_cycle_days: int = 90

    def describe(self) -> dict[str, str]:
        return {"GALLERY_FIXITY_CYCLE_DAYS": str(self.fixity_cycle_days)}


def load(env: Mapping[str, str]) -> OperationsSettings:
    return OperationsSettings(
        fixity_cycle_days=integer(env, "GALLERY_FIXITY_CYCLE_DAYS", 90, minimum=1, maximum=3650),
    )
