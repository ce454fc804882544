"""Display order: the one definition of the order an album's photos are shown in.

An album is in **capture order** (``SortMode.capture_time``: capture time, undated photos last in
upload order) or in the editor's **manual order** (``SortMode.manual``: ``Photo.position``, photos
without a position after the placed ones, in capture order).  NULLs always sort last and the photo
id breaks ties, so the order is total and the same on SQLite and PostgreSQL.  Every surface takes it
from here: the album and photo pages (keyset pages: :func:`page_query`, :func:`beyond` and the
cursors), report strips and covers (:func:`order_terms`, :func:`first_photo_id`), the API and the
ZIP (:func:`ordered_photos`), the management grid and the clock preview (:func:`sort_values` for an
order computed in Python).

**Bags keep capture order** (:func:`bag_photos`), whatever the album's sort mode, on purpose: a bag
is an archive read without Gallery for years, and its file names (``originals/0001-….jpg``) follow
the time line, which stays meaningful when a manual order is lost or changed; the same album gives
the same bag however an editor arranged it; and the manual order travels separately (each photo's
``position`` and the album's ``sort_mode`` in ``metadata.json``), so an import restores it exactly.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, tuple_, union_all

from gallery.catalog.visibility import live_photo_filter, shown_photo_filter
from gallery.core.errors import BadCursor
from gallery.models import Album, Photo, SortMode

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def listed_in(album_id: Any, *, include_unready: bool = False) -> ColumnElement[bool]:
    """The photos an album lists: those visitor surfaces show, or with ``include_unready`` (staff
    pages, bags) every live one (:mod:`gallery.catalog.visibility`).  ``album_id`` may be a value or
    a correlated column (``Album.id``)."""
    return and_(Photo.album_id == album_id, live_photo_filter() if include_unready else shown_photo_filter())


# --- the order ------------------------------------------------------------------------------------


def _terms(position: Any | None) -> list[tuple[Any, bool]]:
    """The order as (expression, nullable) pairs: ``position`` first when given, then capture
    time, then id."""
    terms: list[tuple[Any, bool]] = [(position, True)] if position is not None else []
    return [*terms, (Photo.taken_at, True), (Photo.id, False)]


def sort_columns(album: Album) -> list[tuple[Any, bool]]:
    """The album's display order as (column, nullable) pairs, NULLs last."""
    return _terms(Photo.position if album.sort_mode == SortMode.manual else None)


def order_terms(position: Any | None = None) -> list[Any]:
    """``ORDER BY`` terms of the display order, NULLs last on every database.  ``position`` is
    ``Photo.position`` for a manually sorted album, None for capture order, or an expression
    that is NULL for the photos of capture-ordered albums when albums of both kinds are
    sorted in one statement (report strips)."""
    order: list[Any] = []
    for column, nullable in _terms(position):
        if nullable:
            order.append(column.is_(None))
        order.append(column)
    return order


def album_order(album: Album) -> list[Any]:
    """``ORDER BY`` terms of this album's display order."""
    return order_terms(Photo.position if album.sort_mode == SortMode.manual else None)


def _reverse_order(album: Album) -> list[Any]:
    order: list[Any] = []
    for column, nullable in sort_columns(album):
        if nullable:
            order.append(column.is_(None).desc())
        order.append(column.desc())
    return order


def ordered_photos(album: Album, *, include_unready: bool) -> Select[Photo]:
    """Photos of an album in display order (see :func:`listed_in` for which)."""
    return select(Photo).where(listed_in(album.id, include_unready=include_unready)).order_by(*album_order(album))


def sort_values(mode: SortMode, *, position: int | None, taken_at: datetime | None, photo_id: int) -> tuple[Any, ...]:
    """A Python sort key giving the same order as the SQL (for orders computed in memory, such
    as the clock preview's "after" order).  ``taken_at`` must be aware."""
    key: tuple[Any, ...] = (taken_at is None, taken_at or _EARLIEST, photo_id)
    if mode == SortMode.manual:
        key = (position is None, position or 0, *key)
    return key


def capture_order() -> list[Any]:
    """``ORDER BY`` terms of capture order, whatever an album's sort mode (see the module's note
    on bags)."""
    return order_terms(None)


def bag_photos(album: Album) -> Select[Photo]:
    """The album's photos (not deleted, any status) in capture order, as bags list them: the file
    names of a bag follow the time line; the manual order travels in ``metadata.json``."""
    return select(Photo).where(listed_in(album.id, include_unready=True)).order_by(*capture_order())


def first_photo_id(listed: Callable[[Any], ColumnElement[bool]]) -> Any:
    """Correlated subquery: the first photo of ``Album`` in its display order among those
    ``listed(Album.id)`` selects.

    Spelled so that the (album_id, taken_at, id) index answers it without sorting the album: the
    first dated photo, else the first undated one.  (SQLite cannot use an outer column in a
    subquery's ORDER BY, so manual albums get their own subquery and a CASE picks one.)"""

    def first(*conditions: Any, order: Sequence[Any]) -> Any:
        return (
            select(Photo.id)
            .where(listed(Album.id), *conditions)
            .order_by(*order)
            .limit(1)
            .correlate(Album)
            .scalar_subquery()
        )

    by_capture = func.coalesce(
        first(Photo.taken_at.is_not(None), order=(Photo.taken_at, Photo.id)),
        first(Photo.taken_at.is_(None), order=(Photo.id,)),
    )
    by_position = first(order=order_terms(Photo.position))
    return case((Album.sort_mode == SortMode.manual, by_position), else_=by_capture)


# --- keyset pages ---------------------------------------------------------------------------------


def sort_key(album: Album, photo: Any) -> tuple[Any, ...]:
    """The photo's place in the album's order (a Photo, a page card or a row)."""
    return tuple(getattr(photo, column.key) for column, _nullable in sort_columns(album))


def beyond(album: Album, key: Sequence[Any], *, forward: bool) -> ColumnElement[bool]:
    """Photos strictly after (``forward``) or before ``key`` in the album's display order.

    A lexicographic comparison over the sort columns, spelled out so that NULLs
    (which sort last) compare correctly on every database."""
    clauses: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for (column, nullable), value in zip(sort_columns(album), key, strict=True):
        step: ColumnElement[bool] | None
        if forward:
            if value is None:
                step = None  # nothing sorts after NULL within this column
            else:
                step = or_(column.is_(None), column > value) if nullable else column > value
        else:
            if value is None:
                step = column.is_not(None)
            else:
                step = column < value  # NULL < value is never true: NULLs are after
        if step is not None:
            clauses.append(and_(*equal_so_far, step) if equal_so_far else step)
        equal_so_far.append(column.is_(None) if value is None else column == value)
    return or_(*clauses) if clauses else false()


def page_query(
    album: Album,
    key: Sequence[Any] | None,
    *,
    forward: bool,
    limit: int,
    columns: Sequence[Any],
    where: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """Up to ``limit`` ready photos (as ``columns`` of Photo) after (``forward``) or before
    ``key`` in display order; going back they come nearest first.  ``where``: other photos than
    those visitors are shown (the album's photos that pass it; the API's staff see unready ones).

    Albums sorted by capture time take the (album_id, taken_at, id) index in order and
    stop after ``limit`` rows, whatever the album size: dated and undated photos are
    two index ranges (``ORDER BY taken_at IS NULL`` would sort the whole album), each
    limited, joined with UNION ALL and put in order.  Manually sorted albums use the
    general keyset predicate."""
    ready = listed_in(album.id) if where is None else and_(Photo.album_id == album.id, where)
    if album.sort_mode == SortMode.manual:
        if forward:
            query = select(Photo).where(ready).order_by(*album_order(album))
            if key is not None:
                query = query.where(beyond(album, key, forward=True))
        else:
            assert key is not None
            query = select(Photo).where(ready, beyond(album, key, forward=False)).order_by(*_reverse_order(album))
        return query.with_only_columns(*columns).limit(limit)

    dated: list[ColumnElement[bool]] = [Photo.taken_at.is_not(None)]
    undated: list[ColumnElement[bool]] = [Photo.taken_at.is_(None)]
    if key is not None:
        taken_at, photo_id = key
        if forward:
            if taken_at is None:
                dated.append(false())
                undated.append(Photo.id > photo_id)
            else:
                dated.append(tuple_(Photo.taken_at, Photo.id) > tuple_(taken_at, photo_id))
        else:
            if taken_at is None:
                undated.append(Photo.id < photo_id)
            else:
                dated.append(tuple_(Photo.taken_at, Photo.id) < tuple_(taken_at, photo_id))
                undated.append(false())
    if forward:
        dated_order: list[Any] = [Photo.taken_at, Photo.id]
        undated_order: list[Any] = [Photo.id]
    else:
        dated_order = [Photo.taken_at.desc(), Photo.id.desc()]
        undated_order = [Photo.id.desc()]
    parts = [
        select(*columns).where(ready, *dated).order_by(*dated_order).limit(limit).subquery(),
        select(*columns).where(ready, *undated).order_by(*undated_order).limit(limit).subquery(),
    ]
    both = union_all(*(select(part) for part in parts)).subquery()
    if forward:
        order = [both.c.taken_at.is_(None), both.c.taken_at, both.c.id]
    else:
        order = [both.c.taken_at.is_(None).desc(), both.c.taken_at.desc(), both.c.id.desc()]
    return select(*(both.c[column.key] for column in columns)).order_by(*order).limit(limit)


def count_before(album: Album, key: Sequence[Any]) -> Select[Any]:
    """SELECT of the number of photos visitors are shown before ``key`` in the album's display
    order (a photo's "N of M" is this plus one).  In capture order it counts index ranges of
    (album_id, taken_at, id) -- the dated photos before a dated key; all the dated ones and the
    undated ones before an undated key -- rather than testing every photo of the album."""
    ready = listed_in(album.id)
    if album.sort_mode == SortMode.manual:
        return select(func.count()).select_from(Photo).where(ready, beyond(album, key, forward=False))
    taken_at, photo_id = key
    dated = select(func.count()).select_from(Photo).where(ready, Photo.taken_at.is_not(None))
    if taken_at is not None:
        return dated.where(tuple_(Photo.taken_at, Photo.id) < tuple_(taken_at, photo_id))
    undated = select(func.count()).select_from(Photo).where(ready, Photo.taken_at.is_(None), Photo.id < photo_id)
    return select(dated.scalar_subquery() + undated.scalar_subquery())


# --- cursors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A place in an album: the sort key of one photo and its 1-based number there
    (the number only labels pages, "Photos 201–400 of 2,000"; the key does the work)."""

    key: tuple[Any, ...]
    number: int


def encode_cursor(album: Album, photo: Any, number: int) -> str:
    values: list[Any] = []
    for value in sort_key(album, photo):
        if isinstance(value, datetime):
            values.append({"t": value.astimezone(UTC).isoformat()})
        else:
            values.append(value)
    raw = json.dumps([album.sort_mode.value[0], number, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _int32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) < value < 2**31


def decode_cursor(album: Album, token: str) -> Cursor:
    """The place a cursor points at; :class:`BadCursor` (400) for anything else."""
    problem = BadCursor("this page link is broken or out of date; start again from the album's first page")
    if not token or len(token) > 400:
        raise problem
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise problem from None
    columns = sort_columns(album)
    if not isinstance(data, list) or len(data) != len(columns) + 2 or data[0] != album.sort_mode.value[0]:
        raise problem
    number = data[1]
    if not _int32(number) or number < 0:
        raise problem
    key: list[Any] = []
    for (column, nullable), value in zip(columns, data[2:], strict=True):
        if value is None:
            if not nullable:
                raise problem
            key.append(None)
        elif column.key == "taken_at":
            if not isinstance(value, dict) or not isinstance(value.get("t"), str):
                raise problem
            try:
                when = datetime.fromisoformat(value["t"])
            except ValueError:
                raise problem from None
            if when.tzinfo is None:
                raise problem
            key.append(when)
        else:
            if not _int32(value):
                raise problem
            key.append(value)
    return Cursor(key=tuple(key), number=number)
