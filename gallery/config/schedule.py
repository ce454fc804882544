"""Settings of the event programme (the schedule domain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gallery.config.parsing import integer


@dataclass(frozen=True)
class ScheduleSettings:
    # GALLERY_SESSION_MARGIN_MINUTES: a photo taken this long before a session starts or after it
    # ends still belongs to it.
    session_margin_minutes: int = 10

    def describe(self) -> dict[str, str]:
        return {"GALLERY_SESSION_MARGIN_MINUTES": str(self.session_margin_minutes)}


def load(env: Mapping[str, str]) -> ScheduleSettings:
    return ScheduleSettings(
        session_margin_minutes=integer(env, "GALLERY_SESSION_MARGIN_MINUTES", 10, minimum=0, maximum=24 * 60),
    )
