"""The photos of the visitors' album and photo pages, and album covers.

Every function takes the session explicitly and issues a fixed number of SQL statements,
whatever the size of the album: derivatives come in one extra query, counts from one
aggregate query, and pages are cut with keyset predicates (never ``OFFSET``,
:mod:`gallery.photos.order`), so the first and the hundredth page of a 2,000-photo album
cost the same.  Visitors see only ``ready``, non-deleted photos; which albums a viewer may
open is decided before these functions are called.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from gallery.core.errors import BadCursor, GalleryError, NotFoundError
from gallery.models import Album, Derivative, Photo
from gallery.photos import tallies
from gallery.photos.capture import event_day, event_zone
from gallery.photos.order import (
    count_before,
    decode_cursor,
    encode_cursor,
    first_photo_id,
    listed_in,
    page_query,
    sort_key,
)

# Photos per album page.  Sixty keep the first page of a huge album about as quick to
# build and to download as a small album (bench/pages.py); album.js loads the next
# pages as the visitor scrolls, and without JavaScript a "More photos" link does.
PAGE_SIZE = 60

# What a visitor's page needs of a photo and of a derivative.  Pages read plain rows
# (no ORM identity map, no instrumented attributes): a 200-photo page is about 1,400
# rows, and building ORM objects for them would cost more than everything else.
PHOTO_CARD_COLUMNS = (
    Photo.id,
    Photo.album_id,
    Photo.width,
    Photo.height,
    Photo.taken_at,
    Photo.taken_at_offset_minutes,
    Photo.position,
    Photo.title,
    Photo.caption,
    Photo.alt_text,
    Photo.credit,
)
DERIVATIVE_COLUMNS = (Derivative.photo_id, Derivative.width, Derivative.height, Derivative.format, Derivative.key)


@dataclass(slots=True)
class PhotoCard:
    """A ready photo as the visitors' pages show it (never location or camera serial)."""

    id: int
    album_id: int
    width: int
    height: int
    taken_at: datetime | None
    taken_at_offset_minutes: int | None
    position: int | None
    title: str
    caption: str
    alt_text: str
    credit: str
    # (width, height, format, key) of each derivative, by format and width
    derivatives: list[tuple[int, int, str, str]] = field(default_factory=list)


def load_cards(session: Session, query: Select[*tuple[Any, ...]], *, columns_ready: bool = False) -> list[PhotoCard]:
    """Run a photo query (its WHERE and ORDER BY are kept; with ``columns_ready`` it
    already selects ``PHOTO_CARD_COLUMNS``) and attach the derivatives: two
    statements, whatever the number of photos."""
    if not columns_ready:
        query = query.with_only_columns(*PHOTO_CARD_COLUMNS)
    cards = [PhotoCard(*row) for row in session.execute(query)]
    if cards:
        by_id = {card.id: card for card in cards}
        rows = session.execute(
            select(*DERIVATIVE_COLUMNS)
            .where(Derivative.photo_id.in_(list(by_id)))
            .order_by(Derivative.photo_id, Derivative.format, Derivative.width)
        )
        for photo_id, width, height, fmt, key in rows:
            by_id[photo_id].derivatives.append((width, height, fmt, key))
    return cards


def cards_by_id(session: Session, ids: set[int]) -> dict[int, PhotoCard]:
    """photo id → card (with derivatives) for the given photos: two queries."""
    if not ids:
        return {}
    return {p.id: p for p in load_cards(session, select(Photo).where(Photo.id.in_(sorted(ids))))}


# --- covers ---------------------------------------------------------------------------------------


def cover_photo_id() -> Any:
    """Correlated subquery: the cover of ``Album``, its chosen cover photo when that is ready and
    not deleted, else its first ready photo in display order (None for an album without one)."""
    chosen = (
        select(Photo.id).where(Photo.id == Album.cover_photo_id, listed_in(Album.id)).correlate(Album).scalar_subquery()
    )
    return func.coalesce(chosen, first_photo_id(listed_in))


def album_covers(session: Session, albums: Sequence[Album]) -> dict[int, PhotoCard]:
    """album id → cover photo (with derivatives) for each album that has one: three queries."""
    if not albums:
        return {}
    rows = session.execute(select(Album.id, cover_photo_id()).where(Album.id.in_([a.id for a in albums]))).all()
    cover_ids = {album_id: photo_id for album_id, photo_id in rows if photo_id is not None}
    photos = cards_by_id(session, set(cover_ids.values()))
    return {album_id: photos[pid] for album_id, pid in cover_ids.items() if pid in photos}


def load_cover(
    session: Session, album: Album, page: Sequence[PhotoCard] = (), *, first_page: bool = True
) -> PhotoCard | None:
    """The album's cover (for sharing tags): its chosen cover photo when that is visible,
    else its first photo.  Taken from ``page`` (the photos already loaded) when it is
    there; on later pages a photo of the page stands in rather than costing queries."""
    if album.cover_photo_id is not None:
        chosen = next((p for p in page if p.id == album.cover_photo_id), None)
        if chosen is not None:
            return chosen
    if page and (album.cover_photo_id is None or not first_page):
        return page[0]
    return next(iter(album_covers(session, [album]).values()), None)


# --- album page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePhoto:
    photo: PhotoCard
    number: int  # 1-based position in the album's display order


@dataclass(frozen=True)
class DayGroup:
    day: date | None  # None: photos without a capture time
    items: list[PagePhoto]


@dataclass(frozen=True)
class AlbumPage:
    album: Album
    total: int
    photos: list[PagePhoto]
    groups: list[DayGroup]
    next_cursor: str | None  # ?after=… for the next page
    prev_cursor: str | None  # ?before=… for the previous page
    has_previous: bool  # False on the album's first page
    cover: PhotoCard | None

    @property
    def first_number(self) -> int:
        return self.photos[0].number if self.photos else 0

    @property
    def last_number(self) -> int:
        return self.photos[-1].number if self.photos else 0


def count_ready(session: Session, album: Album) -> int:
    """The number of photos visitors see in ``album``: from its tallies (:mod:`gallery.photos.tallies`,
    kept by the database), a few rows whatever the album's size."""
    return tallies.shown_count(session, album.id)


def album_credits(session: Session, album: Album, *, limit: int = 12) -> list[str]:
    """The photographers' credits of the photos visitors see in ``album`` (the album header's
    "Photos: ..."), the most frequent first, at most ``limit``: read from its tallies."""
    return tallies.credits(session, album.id, limit=limit)


def group_by_day(items: Iterable[PagePhoto], zone: tzinfo) -> list[DayGroup]:
    """Consecutive photos of the same day (in the event's zone) form a group; undated
    photos form their own group (last, in capture order)."""
    groups: list[DayGroup] = []
    for item in items:
        day = event_day(item.photo, zone)
        if groups and groups[-1].day == day:
            groups[-1].items.append(item)
        else:
            groups.append(DayGroup(day=day, items=[item]))
    return groups


def album_page(
    session: Session,
    album: Album,
    *,
    after: str | None = None,
    before: str | None = None,
    page_size: int = PAGE_SIZE,
) -> AlbumPage:
    """One page of an album: ``page_size`` photos after the cursor ``after`` (or, going
    back, before the cursor ``before``).

    Three queries whatever the album size and the page: the count, the page of photos
    and their derivatives (plus the cover's, on a first page whose chosen cover is
    elsewhere)."""
    if after and before:
        raise BadCursor("a page link has either after= or before=, not both")
    cursor = decode_cursor(album, after or before or "") if (after or before) else None
    total = count_ready(session, album)
    if cursor is None or after:
        query = page_query(
            album, cursor.key if cursor else None, forward=True, limit=page_size + 1, columns=PHOTO_CARD_COLUMNS
        )
        rows = load_cards(session, query, columns_ready=True)
        more_after, more_before = len(rows) > page_size, cursor is not None
        rows = rows[:page_size]
        first_number = cursor.number + 1 if cursor is not None else 1
    else:
        query = page_query(album, cursor.key, forward=False, limit=page_size + 1, columns=PHOTO_CARD_COLUMNS)
        rows = load_cards(session, query, columns_ready=True)
        more_before, more_after = len(rows) > page_size, True
        rows = list(reversed(rows[:page_size]))
        first_number = max(1, cursor.number - len(rows))
        if not more_before:
            first_number = 1
    items = [PagePhoto(photo=p, number=first_number + i) for i, p in enumerate(rows)]
    first_page = not more_before
    return AlbumPage(
        album=album,
        total=total,
        photos=items,
        groups=group_by_day(items, event_zone(album.event)),
        next_cursor=encode_cursor(album, rows[-1], items[-1].number) if more_after and rows else None,
        prev_cursor=encode_cursor(album, rows[0], items[0].number) if more_before and rows else None,
        has_previous=not first_page,
        cover=load_cover(session, album, rows, first_page=first_page),
    )


# --- photo page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoContext:
    album: Album
    photo: Photo
    number: int
    total: int
    previous: Any  # a row with id, taken_at and position, or None
    next: Any
    # The album page that shows this photo: None for the first page, else the cursor
    # of the photo just before it (the page then starts with this photo).
    album_page_cursor: str | None
    page_size: int


class PhotoWithdrawn(GalleryError):
    """The photo was hidden (a takedown request, an editor's decision): 410 on its page."""

    status = 410
    code = "gone"


def photo_in_album(session: Session, album: Album, photo_id: int, *, page_size: int = PAGE_SIZE) -> PhotoContext:
    """A ready photo of the album with its neighbours in display order, its number and the
    album page that shows it; :class:`PhotoWithdrawn` (410) for a hidden one, :class:`NotFoundError`
    for anything else."""
    if not 0 < photo_id < 2**31:
        raise NotFoundError(f"no photo {photo_id}")
    photo = session.scalar(
        select(Photo).where(Photo.id == photo_id, listed_in(album.id)).options(selectinload(Photo.derivatives))
    )
    if photo is None:
        hidden = session.scalar(
            select(Photo.id).where(
                Photo.id == photo_id,
                Photo.album_id == album.id,
                Photo.deleted_at.is_(None),
                Photo.hidden_reason.is_not(None),
            )
        )
        if hidden is not None:
            raise PhotoWithdrawn(f"photo {photo_id} was withdrawn from album {album.slug!r}")
        raise NotFoundError(f"no photo {photo_id} in album {album.slug!r}")
    key = sort_key(album, photo)
    nxt = session.execute(page_query(album, key, forward=True, limit=1, columns=PHOTO_CARD_COLUMNS)).first()
    prev = session.execute(page_query(album, key, forward=False, limit=1, columns=PHOTO_CARD_COLUMNS)).first()
    total = tallies.shown_count(session, album.id)
    before = int(session.scalar(count_before(album, key)) or 0)
    cursor = None
    if before >= page_size and prev is not None:
        cursor = encode_cursor(album, prev, before)
    return PhotoContext(
        album=album,
        photo=photo,
        number=before + 1,
        total=total,
        previous=prev,
        next=nxt,
        album_page_cursor=cursor,
        page_size=page_size,
    )
