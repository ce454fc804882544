"""The one way Gallery writes dates, times and numbers for people, in their language (Babel/CLDR).

Four formats, used by every surface (pages, management, e-mails, CSV exports, the CLI's prose):

* :func:`day` — one day: "7 May 2024" / "7 maja 2024";
* :func:`date_range` — from one day to another, sharing what they share:
  "7–8 May 2024", "30 April – 2 May 2024", "30 December 2024 – 2 January 2025"
  ("7–8 maja 2024", "30 kwietnia – 2 maja 2024", "30 grudnia 2024 – 2 stycznia 2025");
* :func:`moment` — a time with its zone: "7 May 2024, 09:31 (UTC+02:00)";
* :func:`number` — a count or a measure with the locale's separators: "12,345" / "12 345".

Everything here is pure: the locale is an argument (``"en"``, ``"pl"``), so domain code (an
e-mail sent from a task, a CSV built in ``photos/``) formats for the recipient's language without
a request.  ``gallery.http.formatting`` binds these to the visitor's locale and registers them
as Jinja filters.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta, tzinfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

DEFAULT_LOCALE = "en"
DAY_PATTERN = "d MMMM y"  # "7 May 2024" / "7 maja 2024"
DAY_MONTH_PATTERN = "d MMMM"  # the start of a range inside one year
TIME_PATTERN = "d MMMM y, HH:mm"  # "7 May 2024, 09:31"
SECONDS_PATTERN = "d MMMM y, HH:mm:ss"
EN_DASH = "\u2013"


@functools.lru_cache(maxsize=32)
def _locale(name: str | None) -> Locale:
    """A Babel locale for ``name`` (``"pl"``, ``"pl_PL"``, ``"en-GB"``); English for anything unknown."""
    try:
        return Locale.parse((name or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


def day(value: date | datetime, locale: str | None = DEFAULT_LOCALE) -> str:
    """One day, the month in words: "7 May 2024" / "7 maja 2024".  A datetime gives its own date
    (convert it to the zone that matters first)."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DAY_PATTERN, locale=_locale(locale))


@functools.lru_cache(maxsize=1024)
def date_range(start: date, end: date, locale: str | None = DEFAULT_LOCALE) -> str:
    """From ``start`` to ``end`` (inclusive), writing the shared month and year once:
    "7–8 May 2024", "30 April – 2 May 2024", "30 December 2024 – 2 January 2025".
    A one-day range is :func:`day`; reversed bounds are put in order."""
    if end < start:
        start, end = end, start
    loc = _locale(locale)
    last = format_date(end, DAY_PATTERN, locale=loc)
    if start == end:
        return last
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{EN_DASH}{last}"
    if start.year == end.year:
        return f"{format_date(start, DAY_MONTH_PATTERN, locale=loc)} {EN_DASH} {last}"
    return f"{format_date(start, DAY_PATTERN, locale=loc)} {EN_DASH} {last}"


def utc_offset_label(offset: timedelta | None) -> str:
    """ "UTC+02:00", "UTC-03:30", "UTC+00:00" (the same in every language)."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def moment(
    value: datetime,
    locale: str | None = DEFAULT_LOCALE,
    zone: tzinfo | None = None,
    *,
    seconds: bool = False,
    with_zone: bool = True,
) -> str:
    """A point in time on the clock of ``zone`` (default: the value's own zone; UTC for a naive
    value, which Gallery stores as UTC), with that zone's offset: "7 May 2024, 09:31 (UTC+02:00)".
    ``with_zone=False`` leaves the offset out, for a caller that writes its own."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if zone is not None:
        value = value.astimezone(zone)
    pattern = SECONDS_PATTERN if seconds else TIME_PATTERN
    text = format_datetime(value, pattern, tzinfo=value.tzinfo, locale=_locale(locale))
    if not with_zone:
        return text
    return f"{text} ({utc_offset_label(value.utcoffset())})"


def number(value: int | float, locale: str | None = DEFAULT_LOCALE, *, decimals: int = 1) -> str:
    """A count or measure with the locale's grouping and decimal signs, at most ``decimals`` places:
    12345 → "12,345" / "12 345"; 2.8 → "2.8" / "2,8"."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(locale))
