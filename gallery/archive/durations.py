"""Durations on the command line (``gc --grace 24h``, ``verify --stuck-after 30m``): parsing and printing."""

from __future__ import annotations

import re
from datetime import timedelta

from gallery.core.errors import ValidationError

_DURATION_RE = re.compile(r"(\d{1,9})([smhdw])")
_DURATION_FULL_RE = re.compile(r"(?:\d{1,9}[smhdw])+")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAX_SECONDS = 100 * 365 * 86400


def parse_duration(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w``, ``0s`` or combinations such as ``1d12h``."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not _DURATION_FULL_RE.fullmatch(raw):
        raise ValidationError(
            f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 30m, 24h or 7d",
            field="duration",
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_RE.findall(raw))
    if seconds > _MAX_SECONDS:
        raise ValidationError(f"{text!r} is longer than 100 years", field="duration")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest form :func:`parse_duration` reads back: ``7d``, ``90m``, ``0s``."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
