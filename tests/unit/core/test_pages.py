"""Keyset pages (gallery/core/pages.py): every row exactly once across the pages, in order, with
ascending and descending keys and ties on the first key; cursors of another list or broken ones
are a 400 ``bad_cursor``; limits out of range a 422.  On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.core import pages
from gallery.core.errors import ValidationError
from gallery.core.pages import BadCursor, SortKey, keyset_page
from gallery.extensions import db
from gallery.models import Event
from tests.web.helpers import make_event

NEWEST_FIRST = (SortKey(Event.starts_on, descending=True), SortKey(Event.id, descending=True))


@pytest.fixture
def events(app: Flask) -> list[Event]:
    """Eleven events on six days: several start on the same day (ties on the first key)."""
    made = []
    for n in range(11):
        day = date(2024, 5, 1) + timedelta(days=n // 2)
        made.append(make_event(db.session, f"event-{n:02d}", starts_on=day.isoformat(), ends_on=day.isoformat()))
    return made


def all_pages(order: tuple[SortKey, ...], limit: int, name: str = "events") -> list[list[str]]:
    seen: list[list[str]] = []
    cursor = None
    while True:
        page = keyset_page(db.session, select(Event), order, name=name, cursor=cursor, limit=limit)
        seen.append([e.slug for e in page.items])
        if page.next is None:
            return seen
        cursor = page.next


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10, 11, 50])
def test_pages_hold_every_row_once_in_order(events: list[Event], limit: int) -> None:
    expected = [e.slug for e in sorted(events, key=lambda e: (e.starts_on, e.id), reverse=True)]
    got = all_pages(NEWEST_FIRST, limit)
    assert [slug for page in got for slug in page] == expected
    assert all(len(page) == limit for page in got[:-1]) and 0 < len(got[-1]) <= limit


def test_mixed_directions(events: list[Event]) -> None:
    order = (SortKey(Event.starts_on, descending=True), SortKey(Event.id))
    expected = [e.slug for e in sorted(events, key=lambda e: (-e.starts_on.toordinal(), e.id))]
    assert [s for page in all_pages(order, 3) for s in page] == expected


def test_rows_added_between_pages_cause_no_gaps_or_repeats(events: list[Event]) -> None:
    first = keyset_page(db.session, select(Event), NEWEST_FIRST, name="events", cursor=None, limit=4)
    make_event(db.session, "newer", starts_on="2024-06-01", ends_on="2024-06-01")  # sorts before the cursor
    rest = keyset_page(db.session, select(Event), NEWEST_FIRST, name="events", cursor=first.next, limit=50)
    slugs = [e.slug for e in first.items + rest.items]
    assert len(slugs) == len(set(slugs)) == len(events)


def test_last_page_has_no_next(events: list[Event]) -> None:
    page = keyset_page(db.session, select(Event), NEWEST_FIRST, name="events", cursor=None, limit=11)
    assert len(page.items) == 11 and page.next is None


@pytest.mark.parametrize(
    "token",
    [
        "not base64 !",
        "bm90IGpzb24",  # "not json"
        pages.encode_cursor("albums:1", [date(2024, 5, 1), 3]),  # another list's cursor
        pages.encode_cursor("events", [date(2024, 5, 1)]),  # too short
        pages.encode_cursor("events", ["2024-05-01", 3]),  # a date that is not one
        pages.encode_cursor("events", [date(2024, 5, 1), 2**40]),  # out of the column's range
        pages.encode_cursor("events", [date(2024, 5, 1), True]),
        "x" * 401,
    ],
)
def test_bad_cursors_are_400(events: list[Event], token: str) -> None:
    with pytest.raises(BadCursor) as caught:
        keyset_page(db.session, select(Event), NEWEST_FIRST, name="events", cursor=token, limit=5)
    assert caught.value.status == 400 and caught.value.code == "bad_cursor" and caught.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, -1, pages.MAX_LIMIT + 1])
def test_limits_out_of_range_are_422(events: list[Event], limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        keyset_page(db.session, select(Event), NEWEST_FIRST, name="events", cursor=None, limit=limit)
    assert caught.value.field == "limit"


def test_keyset_rows_pages_on_computed_float_and_datetime_columns(events: list[Event]) -> None:
    """Computed sort columns (a search's relevance, a capture time with a stand-in for NULL) page
    through :func:`pages.keyset_rows` by their labels; float and aware datetime values survive the cursor."""
    import sqlalchemy as sa

    from gallery.models import UTCDateTime

    score = (sa.cast(Event.id % 3, sa.Float) / 7.0).label("score")
    created = sa.type_coerce(Event.created_at, UTCDateTime()).label("made")
    event_id = Event.id.label("event_id")
    order = (SortKey(score, descending=True), SortKey(created), SortKey(event_id))
    query = select(Event.slug, score, created, event_id)
    expected = [e.slug for e in sorted(events, key=lambda e: (-(e.id % 3) / 7.0, e.created_at, e.id))]
    seen: list[str] = []
    cursor = None
    while True:
        page = pages.keyset_rows(db.session, query, order, name="scored", cursor=cursor, limit=4)
        seen += [row.slug for row in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == expected
    with pytest.raises(BadCursor):
        pages.decode_cursor("scored", pages.encode_cursor("scored", ["high", "x", 1]), order)
    naive = pages.encode_cursor("scored", [0.5, {"t": "2024-05-07T10:00:00"}, 1])
    with pytest.raises(BadCursor):
        pages.decode_cursor("scored", naive, order)
