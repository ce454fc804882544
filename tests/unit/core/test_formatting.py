"""The one format for a day, a date range, a time with its zone and a number (gallery/core/formatting.py),
in English and Polish."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gallery.core import formatting

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("start", "end", "english", "polish"),
    [
        (date(2024, 5, 7), date(2024, 5, 7), "7 May 2024", "7 maja 2024"),
        (date(2024, 5, 7), date(2024, 5, 8), "7–8 May 2024", "7–8 maja 2024"),
        (date(2024, 4, 30), date(2024, 5, 2), "30 April – 2 May 2024", "30 kwietnia – 2 maja 2024"),
        (
            date(2024, 12, 30),
            date(2025, 1, 2),
            "30 December 2024 – 2 January 2025",
            "30 grudnia 2024 – 2 stycznia 2025",
        ),
        (date(2024, 5, 8), date(2024, 5, 7), "7–8 May 2024", "7–8 maja 2024"),  # reversed bounds
    ],
)
def test_date_range_writes_what_both_days_share_once(start: date, end: date, english: str, polish: str) -> None:
    assert formatting.date_range(start, end, "en") == english
    assert formatting.date_range(start, end, "pl") == polish


def test_day_in_both_languages_and_from_a_datetime() -> None:
    assert formatting.day(date(2024, 5, 7), "en") == "7 May 2024"
    assert formatting.day(date(2024, 5, 7), "pl") == "7 maja 2024"
    assert formatting.day(datetime(2024, 2, 29, 23, 0, tzinfo=UTC), "pl") == "29 lutego 2024"


def test_an_unknown_or_regional_locale_falls_back_sensibly() -> None:
    assert formatting.day(date(2024, 5, 7), "xx") == "7 May 2024"
    assert formatting.day(date(2024, 5, 7), None) == "7 May 2024"
    assert formatting.day(date(2024, 5, 7), "pl-PL") == "7 maja 2024"


def test_moment_on_the_zones_clock_with_its_offset() -> None:
    at = datetime(2024, 5, 7, 7, 31, 5, tzinfo=UTC)
    assert formatting.moment(at, "en") == "7 May 2024, 07:31 (UTC+00:00)"
    assert formatting.moment(at, "pl", ZoneInfo("Europe/Warsaw")) == "7 maja 2024, 09:31 (UTC+02:00)"
    assert formatting.moment(at, "en", ZoneInfo("America/St_Johns"), seconds=True) == "7 May 2024, 05:01:05 (UTC-02:30)"
    assert formatting.moment(at, "pl", ZoneInfo("Asia/Kathmandu"), with_zone=False) == "7 maja 2024, 13:16"
    # a naive value is UTC (as Gallery stores it); an aware one keeps its own zone
    assert formatting.moment(at.replace(tzinfo=None), "en") == "7 May 2024, 07:31 (UTC+00:00)"
    winter = datetime(2024, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    assert formatting.moment(winter, "pl") == "1 grudnia 2024, 12:00 (UTC+01:00)"


@pytest.mark.parametrize(
    ("value", "english", "polish"),
    [
        (7, "7", "7"),
        (12345, "12,345", f"12{NBSP}345"),
        (1234567, "1,234,567", f"1{NBSP}234{NBSP}567"),
        (2.8, "2.8", "2,8"),
        (2.85, "2.8", "2,8"),  # one decimal place by default (banker's rounding, as Babel does)
    ],
)
def test_number_with_the_locales_separators(value: float, english: str, polish: str) -> None:
    assert formatting.number(value, "en") == english
    assert formatting.number(value, "pl") == polish


def test_number_decimals() -> None:
    assert formatting.number(1234.5678, "en", decimals=2) == "1,234.57"
    assert formatting.number(1234.5678, "pl", decimals=0) == f"1{NBSP}235"


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (None, "UTC+00:00"),
        (timedelta(hours=2), "UTC+02:00"),
        (timedelta(hours=5, minutes=45), "UTC+05:45"),
        (timedelta(hours=-3, minutes=-30), "UTC-03:30"),
    ],
)
def test_utc_offset_label(offset: timedelta | None, label: str) -> None:
    assert formatting.utc_offset_label(offset) == label
