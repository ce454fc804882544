"""gallery.photos.pages: the photos of the album and photo pages (keyset pages, day groups,
neighbours, covers), without going through HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select, update

from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import Album, Photo, PhotoStatus
from gallery.photos.order import BadCursor, ordered_photos
from gallery.photos.pages import (
    PagePhoto,
    PhotoCard,
    album_covers,
    album_credits,
    album_page,
    cards_by_id,
    count_ready,
    group_by_day,
    load_cards,
    load_cover,
    photo_in_album,
)
from tests.web.helpers import add_photos, make_album, make_event

BRUSSELS = ZoneInfo("Europe/Brussels")
T0 = datetime(2024, 5, 7, 7, 0, tzinfo=UTC)  # 09:00 in Brussels


def _album(slug: str = "pages", sort_mode: str = "capture_time") -> Album:
    return make_album(db.session, make_event(db.session, f"ev-{slug}"), slug, sort_mode=sort_mode)


def _card(photo_id: int, taken: datetime | None, offset: int | None = 120) -> PhotoCard:
    return PhotoCard(photo_id, 1, 300, 200, taken, offset, None, "", "", "", "")


def _set(photo_id: int, **values: object) -> None:
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(**values))
    db.session.commit()


def _ids(items: list[PagePhoto]) -> list[int]:
    return [item.photo.id for item in items]


# --- day groups ------------------------------------------------------------------------------------


def test_days_are_the_events_days_whatever_the_cameras_offset() -> None:
    late = datetime(2024, 5, 7, 22, 30, tzinfo=UTC)  # 00:30 on the 8th in Brussels
    items = [
        PagePhoto(_card(1, T0), 1),
        PagePhoto(_card(2, late, offset=-240), 2),  # 18:30 on the 7th on a camera set to New York
        PagePhoto(_card(3, late + timedelta(hours=1)), 3),
        PagePhoto(_card(4, None, None), 4),
        PagePhoto(_card(5, None, None), 5),
    ]
    groups = group_by_day(items, BRUSSELS)
    assert [(g.day, [i.number for i in g.items]) for g in groups] == [
        (date(2024, 5, 7), [1]),
        (date(2024, 5, 8), [2, 3]),
        (None, [4, 5]),
    ]


def test_a_day_that_comes_back_after_another_is_a_new_group() -> None:
    # manual order can go back in time: groups are consecutive runs, not a calendar
    day1, day2 = T0, T0 + timedelta(days=1)
    items = [PagePhoto(_card(i, t), i) for i, t in enumerate((day1, day2, day1), start=1)]
    assert [g.day for g in group_by_day(items, BRUSSELS)] == [date(2024, 5, 7), date(2024, 5, 8), date(2024, 5, 7)]


# --- album pages -----------------------------------------------------------------------------------


def test_album_pages_cover_the_album_once_in_display_order_both_ways(app: Flask) -> None:
    album = _album()
    add_photos(db.session, album, 7, undated=2)
    hidden = add_photos(db.session, album, 2, start=T0 - timedelta(hours=1))
    _set(hidden[0], status=PhotoStatus.processing)
    _set(hidden[1], deleted_at=T0)
    expected = list(db.session.scalars(ordered_photos(album, include_unready=False).with_only_columns(Photo.id)))
    assert len(expected) == 9

    pages, after = [], None
    while True:
        page = album_page(db.session, album, after=after, page_size=4)
        assert page.total == 9
        pages.append(page)
        after = page.next_cursor
        if after is None:
            break
    assert [_ids(p.photos) for p in pages] == [expected[0:4], expected[4:8], expected[8:]]
    assert [[i.number for i in p.photos] for p in pages] == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert [p.has_previous for p in pages] == [False, True, True]
    assert pages[-1].groups[-1].day is None and len(pages[-1].groups[-1].items) == 1

    back = album_page(db.session, album, before=pages[-1].prev_cursor, page_size=4)
    assert _ids(back.photos) == expected[4:8] and [i.number for i in back.photos] == [5, 6, 7, 8]
    first = album_page(db.session, album, before=back.prev_cursor, page_size=4)
    assert _ids(first.photos) == expected[0:4] and not first.has_previous and first.prev_cursor is None


def test_a_page_link_with_after_and_before_is_refused(app: Flask) -> None:
    album = _album()
    add_photos(db.session, album, 3)
    cursor = album_page(db.session, album, page_size=1).next_cursor
    with pytest.raises(BadCursor):
        album_page(db.session, album, after=cursor, before=cursor)


def test_an_empty_album(app: Flask) -> None:
    page = album_page(db.session, _album())
    assert (page.total, page.photos, page.groups, page.cover, page.next_cursor) == (0, [], [], None, None)
    assert (page.first_number, page.last_number) == (0, 0)


def test_count_ready_counts_what_visitors_see(app: Flask) -> None:
    album = _album()
    ids = add_photos(db.session, album, 4)
    _set(ids[0], status=PhotoStatus.failed)
    _set(ids[1], deleted_at=T0)
    assert count_ready(db.session, album) == 2


def test_album_credits_are_the_visible_photos_credits_most_frequent_first(app: Flask) -> None:
    album = _album()
    ids = add_photos(db.session, album, 5)
    for photo_id, credit in zip(ids, ["Ola Kot", " Jan Nowak ", "Jan Nowak", "", "Hidden Person"], strict=True):
        _set(photo_id, credit=credit)
    _set(ids[4], deleted_at=T0)
    assert album_credits(db.session, album) == ["Jan Nowak", "Ola Kot"]
    assert album_credits(db.session, album, limit=1) == ["Jan Nowak"]


# --- photo pages -----------------------------------------------------------------------------------


def test_photo_in_album_has_its_number_neighbours_and_album_page(app: Flask) -> None:
    album = _album(sort_mode="manual")
    ids = add_photos(db.session, album, 5)
    _set(ids[4], position=0)  # the last photo by time comes first
    order = [ids[4], *ids[:4]]

    first = photo_in_album(db.session, album, order[0], page_size=2)
    assert (first.number, first.total, first.previous, first.next.id) == (1, 5, None, order[1])
    assert first.album_page_cursor is None

    third = photo_in_album(db.session, album, order[2], page_size=2)
    assert (third.number, third.previous.id, third.next.id) == (3, order[1], order[3])
    # the album page that shows it starts right after photo 2
    page = album_page(db.session, album, after=third.album_page_cursor, page_size=2)
    assert page.photos[0].photo.id == order[2] and page.photos[0].number == 3

    last = photo_in_album(db.session, album, order[4], page_size=2)
    assert (last.number, last.next) == (5, None)


@pytest.mark.parametrize("problem", ["processing", "deleted", "elsewhere", "absurd"])
def test_photo_in_album_is_not_found_for_what_visitors_do_not_see(app: Flask, problem: str) -> None:
    album = _album()
    photo_id = add_photos(db.session, album, 1)[0]
    if problem == "processing":
        _set(photo_id, status=PhotoStatus.processing)
    elif problem == "deleted":
        _set(photo_id, deleted_at=T0)
    elif problem == "elsewhere":
        album = make_album(db.session, album.event, "other")
    else:
        photo_id = 2**31
    with pytest.raises(NotFoundError):
        photo_in_album(db.session, album, photo_id)


# --- covers and cards ------------------------------------------------------------------------------


def test_covers_are_the_chosen_photo_when_visible_else_the_first(app: Flask) -> None:
    chosen_album, plain_album, hidden_album, empty_album = (_album(slug) for slug in ("a", "b", "c", "d"))
    a = add_photos(db.session, chosen_album, 3)
    b = add_photos(db.session, plain_album, 2, start=T0 + timedelta(hours=1)) + add_photos(
        db.session, plain_album, 1, start=T0
    )
    c = add_photos(db.session, hidden_album, 2)
    chosen_album.cover_photo_id = a[2]
    hidden_album.cover_photo_id = c[1]
    db.session.commit()
    _set(c[1], status=PhotoStatus.processing)
    covers = album_covers(db.session, [chosen_album, plain_album, hidden_album, empty_album])
    assert {album_id: card.id for album_id, card in covers.items()} == {
        chosen_album.id: a[2],
        plain_album.id: b[2],
        hidden_album.id: c[0],
    }
    assert covers[chosen_album.id].derivatives  # with its image sizes
    assert album_covers(db.session, []) == {}


def test_load_cover_takes_the_page_when_it_can(app: Flask) -> None:
    album = _album()
    ids = add_photos(db.session, album, 3)
    cards = load_cards(db.session, select(Photo).where(Photo.id.in_(ids)).order_by(Photo.id))

    def cover(page: list[PhotoCard], *, first_page: bool = True) -> int | None:
        found = load_cover(db.session, album, page, first_page=first_page)
        return found.id if found is not None else None

    assert cover(cards) == ids[0]
    album.cover_photo_id = ids[2]
    db.session.commit()
    assert cover(cards) == ids[2]
    assert cover(cards[:1]) == ids[2]  # on the first page without the chosen cover, it is looked up
    assert cover(cards[:1], first_page=False) == ids[0]  # on a later page, a photo of the page stands in


def test_cards_carry_their_derivatives_in_order(app: Flask) -> None:
    album = _album()
    ids = add_photos(db.session, album, 2)
    cards = cards_by_id(db.session, set(ids))
    assert set(cards) == set(ids)
    formats = [(fmt, width) for width, _height, fmt, _key in cards[ids[0]].derivatives]
    assert formats == sorted(formats) and len(formats) == 6
    assert cards_by_id(db.session, set()) == {}
