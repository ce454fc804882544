"""Durations of the archive commands (``gc --grace 24h``, ``verify --stuck-after 30m``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gallery.archive.durations import format_duration, parse_duration
from gallery.core.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", 0),
        ("90s", 90),
        ("30m", 1800),
        ("24h", 86400),
        ("7d", 604800),
        ("2w", 1209600),
        ("1d12h", 129600),
        ("1h 30m", 5400),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "1x", "1.5h", "1000000000d", "36500000d"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValidationError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (90, "90s"),
        (1800, "30m"),
        (5400, "90m"),
        (86400, "1d"),
        (129600, "36h"),
        (1209600, "2w"),
    ],
)
def test_format_duration_gives_the_shortest_form(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)  # and it reads back
