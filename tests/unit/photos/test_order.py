"""gallery.photos.order: the one display order (capture time or manual position, NULLs last, id as
tie-break), its keyset pages and cursors, and the capture order bags keep."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import case, func, select, update

from gallery.extensions import db
from gallery.models import Album, Photo, PhotoStatus, SortMode
from gallery.photos.order import (
    BadCursor,
    bag_photos,
    beyond,
    count_before,
    decode_cursor,
    encode_cursor,
    first_photo_id,
    listed_in,
    order_terms,
    ordered_photos,
    page_query,
    sort_key,
    sort_values,
)
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 7, 0, tzinfo=UTC)


# --- the order in Python ---------------------------------------------------------------------------


def _key(mode: SortMode, position: int | None, taken: datetime | None, photo_id: int) -> tuple[Any, ...]:
    return sort_values(mode, position=position, taken_at=taken, photo_id=photo_id)


def test_capture_order_puts_undated_photos_last_in_upload_order() -> None:
    photos = [(1, None), (2, T0 + timedelta(minutes=5)), (3, None), (4, T0)]
    ordered = sorted(photos, key=lambda p: _key(SortMode.capture_time, None, p[1], p[0]))
    assert [p[0] for p in ordered] == [4, 2, 1, 3]


def test_capture_order_breaks_ties_by_id() -> None:
    photos = [(9, T0), (3, T0), (5, T0)]
    assert [p[0] for p in sorted(photos, key=lambda p: _key(SortMode.capture_time, None, p[1], p[0]))] == [3, 5, 9]


def test_manual_order_puts_unplaced_photos_last_in_capture_order() -> None:
    photos = [
        (1, None, T0),
        (2, 1, None),
        (3, 0, T0 + timedelta(hours=1)),
        (4, None, None),
        (5, None, T0 - timedelta(hours=1)),
    ]
    ordered = sorted(photos, key=lambda p: _key(SortMode.manual, p[1], p[2], p[0]))
    assert [p[0] for p in ordered] == [3, 2, 5, 1, 4]


def test_capture_order_ignores_positions() -> None:
    assert _key(SortMode.capture_time, 0, T0, 2) > _key(SortMode.capture_time, 5, T0, 1)


# --- the order in SQL ------------------------------------------------------------------------------


def _album(sort_mode: str = "capture_time", slug: str = "order") -> Album:
    return make_album(db.session, make_event(db.session, f"ev-{slug}"), slug, sort_mode=sort_mode)


def _ids(query: Any) -> list[int]:
    return list(db.session.scalars(query.with_only_columns(Photo.id)))


def _set(photo_id: int, **values: Any) -> None:
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(**values))
    db.session.commit()


def test_sql_capture_order_nulls_last_and_ties(app: Flask) -> None:
    album = _album()
    undated_first = add_photos(db.session, album, 0, undated=1)[0]
    late, tie_b, tie_a = add_photos(db.session, album, 3, times=[T0 + timedelta(hours=2), T0, T0])
    undated_last = add_photos(db.session, album, 0, undated=1)[0]
    assert _ids(ordered_photos(album, include_unready=False)) == [tie_b, tie_a, late, undated_first, undated_last]


def test_sql_manual_order(app: Flask) -> None:
    album = _album("manual")
    a, b, c, d = add_photos(
        db.session, album, 4, times=[T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2), None]
    )
    _set(c, position=0)
    _set(a, position=1)
    # b and d have no position: after the placed ones, in capture order (undated last)
    assert _ids(ordered_photos(album, include_unready=False)) == [c, a, b, d]


def test_ordered_photos_lists_unready_only_when_asked_and_never_deleted(app: Flask) -> None:
    album = _album()
    ready, processing, deleted = add_photos(db.session, album, 3)
    _set(processing, status=PhotoStatus.processing)
    _set(deleted, deleted_at=T0)
    assert _ids(ordered_photos(album, include_unready=False)) == [ready]
    assert _ids(ordered_photos(album, include_unready=True)) == [ready, processing]
    assert db.session.scalar(select(func.count()).select_from(Photo).where(listed_in(album.id))) == 1


def test_python_and_sql_orders_agree(app: Flask) -> None:
    album = _album("manual")
    times = [T0 + timedelta(minutes=m) if m is not None else None for m in (5, None, 5, 1, None, 3, 3)]
    ids = add_photos(db.session, album, 0, times=times)
    for photo_id, position in zip(ids, (None, 2, 0, None, None, 2, None), strict=True):
        _set(photo_id, position=position)
    rows = db.session.execute(select(Photo.id, Photo.position, Photo.taken_at).where(Photo.album_id == album.id)).all()
    in_python = [r.id for r in sorted(rows, key=lambda r: _key(SortMode.manual, r.position, r.taken_at, r.id))]
    assert in_python == _ids(ordered_photos(album, include_unready=False))


def test_bags_keep_capture_order_whatever_the_sort_mode(app: Flask) -> None:
    album = _album("manual")
    first, second, undated = add_photos(db.session, album, 0, times=[T0, T0 + timedelta(minutes=1), None])
    _set(undated, position=0)
    _set(second, position=1)
    _set(first, status=PhotoStatus.processing)  # bags hold every photo that is not deleted
    assert _ids(ordered_photos(album, include_unready=True)) == [undated, second, first]
    assert _ids(bag_photos(album)) == [first, second, undated]


def test_order_terms_sorts_albums_of_both_kinds_in_one_statement(app: Flask) -> None:
    by_time = _album("capture_time", "by-time")
    by_hand = _album("manual", "by-hand")
    t1, t2 = add_photos(db.session, by_time, 0, times=[T0 + timedelta(minutes=1), T0])
    h1, h2 = add_photos(db.session, by_hand, 0, times=[T0, T0 + timedelta(minutes=1)])
    _set(t1, position=0)  # ignored: its album is in capture order
    _set(h2, position=0)
    position = case((Photo.album_id == by_hand.id, Photo.position), else_=None)
    query = select(Photo.id).order_by(Photo.album_id, *order_terms(position))
    assert list(db.session.scalars(query)) == [t2, t1, h2, h1]


def test_first_photo_id_is_the_first_in_display_order(app: Flask) -> None:
    by_time = _album("capture_time", "by-time")
    by_hand = _album("manual", "by-hand")
    empty = _album("capture_time", "empty")
    undated, dated = add_photos(db.session, by_time, 0, times=[None, T0 + timedelta(hours=1)])
    h1, h2 = add_photos(db.session, by_hand, 0, times=[T0, T0 + timedelta(minutes=1)])
    _set(h2, position=0)
    rows = dict(db.session.execute(select(Album.id, first_photo_id(listed_in))).all())
    assert rows == {by_time.id: dated, by_hand.id: h2, empty.id: None}
    assert undated and h1


# --- keyset pages and cursors ----------------------------------------------------------------------


@pytest.mark.parametrize("sort_mode", ["capture_time", "manual"])
def test_walking_forward_and_back_one_photo_at_a_time_visits_the_display_order(app: Flask, sort_mode: str) -> None:
    album = _album(sort_mode)
    ids = add_photos(
        db.session, album, 0, times=[T0, None, T0, T0 + timedelta(minutes=2), None, T0 - timedelta(days=1)]
    )
    hidden = add_photos(db.session, album, 1, status=PhotoStatus.processing)[0]
    if sort_mode == "manual":
        _set(ids[3], position=0)
        _set(ids[1], position=1)
    expected = _ids(ordered_photos(album, include_unready=False))
    assert sorted(expected) == sorted(ids) and hidden not in expected
    columns = (Photo.id, Photo.taken_at, Photo.position)

    forward, key = [], None
    while (
        row := db.session.execute(page_query(album, key, forward=True, limit=1, columns=columns)).first()
    ) is not None:
        forward.append(row.id)
        key = sort_key(album, row)
    assert forward == expected

    backward = []
    while (
        row := db.session.execute(page_query(album, key, forward=False, limit=1, columns=columns)).first()
    ) is not None:
        backward.append(row.id)
        key = sort_key(album, row)
    assert backward == list(reversed(expected))[1:]


@pytest.mark.parametrize("sort_mode", ["capture_time", "manual"])
def test_beyond_splits_the_album_at_every_photo(app: Flask, sort_mode: str) -> None:
    album = _album(sort_mode)
    add_photos(db.session, album, 0, times=[T0, None, T0, T0 + timedelta(minutes=2), None])
    expected = _ids(ordered_photos(album, include_unready=False))
    if sort_mode == "manual":
        _set(expected[2], position=0)
        expected = _ids(ordered_photos(album, include_unready=False))
    for index, photo_id in enumerate(expected):
        photo = db.session.get(Photo, photo_id)
        key = sort_key(album, photo)
        after = _ids(ordered_photos(album, include_unready=False).where(beyond(album, key, forward=True)))
        before = _ids(ordered_photos(album, include_unready=False).where(beyond(album, key, forward=False)))
        assert (before, after) == (expected[:index], expected[index + 1 :])


@pytest.mark.parametrize("sort_mode", ["capture_time", "manual"])
def test_count_before_is_each_photos_place_in_the_display_order(app: Flask, sort_mode: str) -> None:
    album = _album(sort_mode)
    add_photos(db.session, album, 0, times=[T0, None, T0, T0 + timedelta(minutes=2), None, T0 - timedelta(days=1)])
    add_photos(db.session, album, 0, times=[T0, None], status=PhotoStatus.processing)  # never counted
    expected = _ids(ordered_photos(album, include_unready=False))
    if sort_mode == "manual":
        _set(expected[4], position=0)
        expected = _ids(ordered_photos(album, include_unready=False))
    for index, photo_id in enumerate(expected):
        photo = db.session.get(Photo, photo_id)
        assert db.session.scalar(count_before(album, sort_key(album, photo))) == index, (sort_mode, index)


@pytest.mark.parametrize("sort_mode", ["capture_time", "manual"])
def test_cursors_round_trip(app: Flask, sort_mode: str) -> None:
    album = _album(sort_mode)
    dated, undated = add_photos(db.session, album, 0, times=[T0, None])
    for photo_id in (dated, undated):
        photo = db.session.get(Photo, photo_id)
        cursor = decode_cursor(album, encode_cursor(album, photo, 42))
        assert cursor.number == 42 and cursor.key == sort_key(album, photo)


def test_a_cursor_of_the_other_sort_mode_is_refused(app: Flask) -> None:
    album = _album()
    photo = db.session.get(Photo, add_photos(db.session, album, 1)[0])
    token = encode_cursor(album, photo, 1)
    album.sort_mode = SortMode.manual
    with pytest.raises(BadCursor):
        decode_cursor(album, token)


def _token(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!",
        "x" * 401,
        _token([1]),
        _token(["c", -1, None, 1]),  # a negative number
        _token(["c", 1, None, None]),  # the id is never NULL
        _token(["c", 1, {"t": "2024-05-07T07:00:00"}, 1]),  # a naive time
        _token(["c", 1, {"t": "soon"}, 1]),
        _token(["c", 1, None, 2**31]),
        _token(["m", 1, None, 1]),  # the other sort mode
    ],
)
def test_broken_cursors_are_refused(app: Flask, token: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(_album(), token)
