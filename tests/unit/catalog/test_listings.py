"""What visitors' pages list (gallery/catalog/listings.py): the home page's events, an event's
albums and reports, album cards -- each listing only what is listed to the viewer, in a fixed
number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import select

from gallery.catalog import listings
from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import Album, Event, Photo, PhotoStatus, Role, User
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event, make_report


@dataclass
class Site:
    events: dict[str, Event]
    albums: dict[str, Album]
    photos: dict[str, list[int]]
    editor: User
    photographer: User


@pytest.fixture
def site(app: Flask) -> Site:
    events = {
        "old": make_event(db.session, "old", starts_on="2023-03-01", ends_on="2023-03-01"),
        "new": make_event(db.session, "new", starts_on="2024-05-07", ends_on="2024-05-08"),
        "hidden": make_event(db.session, "hidden", starts_on="2025-01-01", ends_on="2025-01-01"),
        "reports-only": make_event(db.session, "reports-only", starts_on="2022-01-01", ends_on="2022-01-01"),
        "draft-only": make_event(db.session, "draft-only", starts_on="2021-01-01", ends_on="2021-01-01"),
    }
    albums = {
        "old-public": make_album(db.session, events["old"], "old-public"),
        "new-empty": make_album(db.session, events["new"], "new-empty"),
        "new-public": make_album(db.session, events["new"], "new-public"),
        "new-unlisted": make_album(db.session, events["new"], "new-unlisted", visibility="unlisted"),
        "new-private": make_album(db.session, events["new"], "new-private", visibility="private"),
        "hidden-unlisted": make_album(db.session, events["hidden"], "hidden-unlisted", visibility="unlisted"),
        "hidden-private": make_album(db.session, events["hidden"], "hidden-private", visibility="private"),
    }
    photos = {slug: add_photos(db.session, album, 3) for slug, album in albums.items() if slug != "new-empty"}
    # Not shown on any visitor page: still processing, failed, deleted.
    add_photos(db.session, albums["new-public"], 1, status=PhotoStatus.processing)
    add_photos(db.session, albums["new-public"], 1, status=PhotoStatus.failed)
    deleted = add_photos(db.session, albums["new-public"], 1)[0]
    photo = db.session.get(Photo, deleted)
    assert photo is not None
    photo.deleted_at = photo.created_at
    db.session.commit()
    make_report(db.session, events["new"], "day-one", "Day one", published=True)
    make_report(db.session, events["new"], "day-two", "Day two", published=False)
    make_report(db.session, events["reports-only"], "notes", "Notes", published=True)
    make_report(db.session, events["draft-only"], "soon", "Soon", published=False)
    return Site(
        events=events,
        albums=albums,
        photos=photos,
        editor=make_user(Role.editor),
        photographer=make_user(Role.photographer),
    )


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def test_home_lists_events_with_a_public_album_newest_first(site: Site) -> None:
    cards = listings.home_events(db.session)
    assert [c.event.slug for c in cards] == ["new", "old"]  # "hidden" has no public album
    new, old = cards
    assert new.album_count == 2  # new-empty and new-public; never the unlisted or private one
    assert new.cover_album is not None and new.cover_album.slug == "new-public"  # the first with photos
    assert new.cover is not None and new.cover.id == site.photos["new-public"][0]
    assert old.cover is not None and old.cover.id == site.photos["old-public"][0]
    assert listings.home_events(db.session, limit=1)[0].event.slug == "new"


def test_home_costs_four_statements_whatever_the_number_of_events(site: Site) -> None:
    for i in range(5):
        more = make_event(db.session, f"more-{i}", starts_on=date(2020, 1, 1 + i).isoformat(), ends_on="2020-01-09")
        add_photos(db.session, make_album(db.session, more, f"more-{i}-album"), 2)
    db.session.expire_all()
    with counted() as statements:
        cards = listings.home_events(db.session)
    assert len(cards) == 7
    # events; album cards with cover ids and counts; the cover photos; their derivatives
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_home_shows_only_the_newest_events(site: Site) -> None:
    for i in range(listings.HOME_EVENTS + 3):
        more = make_event(db.session, f"past-{i}", starts_on=date(2010, 1, 1 + i).isoformat(), ends_on="2010-02-01")
        make_album(db.session, more, f"past-{i}-album")
    cards = listings.home_events(db.session)
    assert len(cards) == listings.HOME_EVENTS
    assert [c.event.slug for c in cards[:2]] == ["new", "old"]
    assert listings.HOME_EVENTS == 12
    assert cards[-1].event.slug == "past-5"  # new, old, past-14 ... past-5; older ones are in the archive


def test_the_archive_pages_through_every_listed_event_newest_first(site: Site) -> None:
    # same start date for several: the id breaks the tie, so no page repeats or skips one
    for i in range(7):
        make_album(
            db.session, make_event(db.session, f"same-{i}", starts_on="2020-06-01", ends_on="2020-06-02"), f"s{i}"
        )
    expected = ["new", "old", *(f"same-{i}" for i in reversed(range(7)))]  # never "hidden" nor the report-only ones
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        with counted() as statements:
            page = listings.events_archive(db.session, after=after, page_size=2)
        assert page.first_page == (after is None)
        # events; their albums with covers; the cover photos; their derivatives
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 4
        seen += [c.event.slug for c in page.cards]
        pages += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == expected and pages == 5
    new = listings.events_archive(db.session, page_size=2).cards[0]
    assert new.album_count == 2 and new.cover is not None and new.cover.id == site.photos["new-public"][0]


@pytest.mark.parametrize(
    "cursor", ["x", "bm90IGpzb24", "WyJhbGJ1bXMiLDFd", "WyJldmVudHMiLHsiZCI6IjIwMjAtMTMtMDEifSwxXQ"]
)
def test_a_broken_archive_cursor_is_refused(site: Site, cursor: str) -> None:
    from gallery.core.errors import BadCursor

    with pytest.raises(BadCursor):
        listings.events_archive(db.session, after=cursor)


def test_event_page_lists_what_is_listed_to_the_viewer(site: Site) -> None:
    anonymous = listings.event_page(db.session, "new", viewer=ANONYMOUS)
    assert [c.album.slug for c in anonymous.albums] == ["new-empty", "new-public"]
    assert [r.slug for r in anonymous.reports] == ["day-one"]
    public_card = anonymous.albums[1]
    assert public_card.count == 3  # ready, not deleted
    assert anonymous.cover is not None and anonymous.cover.id == site.photos["new-public"][0]

    # The share token does not make an unlisted album listed.
    token = site.albums["new-unlisted"].share_token
    with_token = listings.event_page(db.session, "new", viewer=Viewer.of(None, token))
    assert [c.album.slug for c in with_token.albums] == ["new-empty", "new-public"]

    photographer = listings.event_page(db.session, "new", viewer=Viewer.of(site.photographer))
    assert [c.album.slug for c in photographer.albums] == ["new-empty", "new-public"]

    editor = listings.event_page(db.session, "new", viewer=Viewer.of(site.editor))
    assert [c.album.slug for c in editor.albums] == ["new-empty", "new-public", "new-unlisted", "new-private"]
    assert [r.slug for r in editor.reports] == ["day-one", "day-two"]  # drafts after the published
    assert editor.cover is not None and editor.cover.id == site.photos["new-public"][0]  # a public cover first


def test_an_event_with_nothing_for_the_viewer_is_a_404(site: Site) -> None:
    for slug in ("hidden", "draft-only", "no-such-event"):
        with pytest.raises(NotFoundError):
            listings.event_page(db.session, slug, viewer=ANONYMOUS)
    with pytest.raises(NotFoundError):
        listings.event_page(db.session, "hidden", viewer=Viewer.of(None, site.albums["hidden-unlisted"].share_token))
    reports_only = listings.event_page(db.session, "reports-only", viewer=ANONYMOUS)
    assert reports_only.albums == [] and [r.slug for r in reports_only.reports] == ["notes"]
    hidden = listings.event_page(db.session, "hidden", viewer=Viewer.of(site.editor))
    assert [c.album.slug for c in hidden.albums] == ["hidden-unlisted", "hidden-private"]
    assert hidden.cover is not None  # no public album: a cover of the others
    assert listings.event_page(db.session, "draft-only", viewer=Viewer.of(site.editor)).reports


def test_album_cards_count_shown_photos_and_prefer_the_chosen_cover(site: Site) -> None:
    album = site.albums["new-public"]
    album.cover_photo_id = site.photos["new-public"][2]
    db.session.commit()
    cards = listings.album_cards(
        db.session, select(Album).where(Album.event_id == site.events["new"].id).order_by(Album.id)
    )
    by_slug = {c.album.slug: c for c in cards}
    assert by_slug["new-public"].count == 3
    assert by_slug["new-public"].cover is not None and by_slug["new-public"].cover.id == site.photos["new-public"][2]
    assert by_slug["new-empty"].count == 0 and by_slug["new-empty"].cover is None
    assert [c.album.slug for c in cards] == ["new-empty", "new-public", "new-unlisted", "new-private"]


def test_event_reports_newest_first_drafts_for_editors(site: Site) -> None:
    event = site.events["new"]
    assert [r.slug for r in listings.event_reports(db.session, event, ANONYMOUS)] == ["day-one"]
    assert [r.slug for r in listings.event_reports(db.session, event, Viewer.of(site.photographer))] == ["day-one"]
    assert [r.slug for r in listings.event_reports(db.session, event, Viewer.of(site.editor))] == ["day-one", "day-two"]


def test_upcoming_events_come_first_soonest_first_on_their_own_clock() -> None:
    from datetime import UTC, datetime

    def card(slug: str, starts: date, ends: date, tz: str = "Europe/Warsaw") -> listings.EventCard:
        event = Event(slug=slug, title=slug, starts_on=starts, ends_on=ends, timezone=tz)
        return listings.EventCard(event=event, cover=None, album_count=1)

    cards = [
        card("later", date(2026, 9, 1), date(2026, 9, 2)),
        card("soon", date(2026, 6, 1), date(2026, 6, 3)),
        card("ends-today-in-tokyo", date(2026, 5, 1), date(2026, 5, 10), "Asia/Tokyo"),
        card("ended-yesterday-in-warsaw", date(2026, 5, 8), date(2026, 5, 9)),
        card("old", date(2024, 5, 7), date(2024, 5, 8), "No/Such_Zone"),
    ]
    now = datetime(2026, 5, 9, 23, 30, tzinfo=UTC)  # 10 May in Warsaw (01:30) and in Tokyo (08:30)
    upcoming, recent = listings.upcoming_and_recent(cards, now)
    assert [c.event.slug for c in upcoming] == ["ends-today-in-tokyo", "soon", "later"]
    assert [c.event.slug for c in recent] == ["ended-yesterday-in-warsaw", "old"]


def test_one_report_per_topic_in_the_visitors_language() -> None:
    from gallery.models import Report

    en = Report(id=1, slug="en", title="Report", language="en")
    pl = Report(id=2, slug="pl", title="Relacja", language="pl", translation_of_id=1)
    other = Report(id=3, slug="other", title="Only English", language="en")
    assert listings.one_per_topic([en, other, pl], "pl") == [pl, other]
    assert listings.one_per_topic([pl, other, en], "en") == [en, other]
    assert listings.one_per_topic([pl, en], "de") == [pl]
