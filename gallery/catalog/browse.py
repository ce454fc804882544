"""Queries behind the visitors' pages: home, event, album (keyset pages), photo.

Every function takes the session and the viewer explicitly and issues a fixed
number of SQL statements, whatever the size of the album: photos come with
their derivatives through ``selectinload``, counts come from one aggregate
query, and pages are cut with keyset predicates (never ``OFFSET``), so the
first and the hundredth page of a 2,000-photo album cost the same.

Visibility follows :func:`gallery.photos.service.can_view_album`: public albums
are listed; unlisted ones open only with their share token (and are never
listed); private ones exist only for users who may view private albums.
Visitors see only ``ready``, non-deleted photos.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from gallery.core.errors import GalleryError, NotFoundError
from gallery.core.permissions import Permission, has_permission
from gallery.models import (
    Album,
    Derivative,
    Event,
    Photo,
    PhotoStatus,
    Report,
    ReportStatus,
    SortMode,
    User,
    Visibility,
    report_albums,
)
from gallery.photos.service import can_view_album, ordered_photos

# Photos per album page.  Sixty keep the first page of a huge album about as quick to
# build and to download as a small album (bench/pages.py); album.js loads the next
# pages as the visitor scrolls, and without JavaScript a "More photos" link does.
PAGE_SIZE = 60
STRIP_SIZE = 6
HOME_EVENTS = 100

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


def load_cards(session: Session, query: Select[Any], *, columns_ready: bool = False) -> list[PhotoCard]:
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


class BadCursor(GalleryError):
    status = 400
    code = "bad_cursor"


# --- visibility -------------------------------------------------------------------------------


def sees_private(user: User | None) -> bool:
    return has_permission(user, Permission.view_private)


def listed_visibilities(user: User | None) -> tuple[Visibility, ...]:
    """Albums that appear in listings for this viewer (never unlisted ones for visitors)."""
    if sees_private(user):
        return (Visibility.public, Visibility.unlisted, Visibility.private)
    return (Visibility.public,)


def _ready(album_id: Any) -> ColumnElement[bool]:
    return and_(Photo.album_id == album_id, Photo.deleted_at.is_(None), Photo.status == PhotoStatus.ready)


# --- time zones and days ------------------------------------------------------------------------


def event_zone(event: Event) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def event_day(photo: Photo | PhotoCard, zone: ZoneInfo | timezone) -> date | None:
    """The calendar day of the capture in the event's time zone (None when undated)."""
    if photo.taken_at is None:
        return None
    return photo.taken_at.astimezone(zone).date()


# --- keyset cursors -----------------------------------------------------------------------------


def _sort_columns(album: Album) -> list[tuple[Any, bool]]:
    """The album's display order as (column, nullable) pairs, NULLs last; the same
    order as :func:`gallery.photos.service.ordered_photos`."""
    if album.sort_mode == SortMode.manual:
        return [(Photo.position, True), (Photo.taken_at, True), (Photo.id, False)]
    return [(Photo.taken_at, True), (Photo.id, False)]


def sort_key(album: Album, photo: Photo | PhotoCard) -> tuple[Any, ...]:
    return tuple(getattr(photo, column.key) for column, _nullable in _sort_columns(album))


def _reverse_order(album: Album) -> list[Any]:
    order: list[Any] = []
    for column, nullable in _sort_columns(album):
        if nullable:
            order.append(column.is_(None).desc())
        order.append(column.desc())
    return order


def beyond(album: Album, key: Sequence[Any], *, forward: bool) -> ColumnElement[bool]:
    """Photos strictly after (``forward``) or before ``key`` in the album's display order.

    A lexicographic comparison over the sort columns, spelled out so that NULLs
    (which sort last) compare correctly on every database."""
    clauses: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for (column, nullable), value in zip(_sort_columns(album), key, strict=True):
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


@dataclass(frozen=True)
class Cursor:
    """A place in an album: the sort key of one photo and its 1-based number there
    (the number only labels pages, "Photos 201–400 of 2,000"; the key does the work)."""

    key: tuple[Any, ...]
    number: int


def page_query(album: Album, key: Sequence[Any] | None, *, forward: bool, limit: int) -> Select[Any]:
    """Up to ``limit`` photos (``PHOTO_CARD_COLUMNS``) after (``forward``) or before ``key``
    in display order; going back they come nearest first.

    Albums sorted by capture time take the (album_id, taken_at, id) index in order and
    stop after ``limit`` rows, whatever the album size: dated and undated photos are
    two index ranges (``ORDER BY taken_at IS NULL`` would sort the whole album), each
    limited, joined with UNION ALL and put in order.  Manually sorted albums use the
    general keyset predicate."""
    if album.sort_mode == SortMode.manual:
        if forward:
            query = ordered_photos(album, include_unready=False)
            if key is not None:
                query = query.where(beyond(album, key, forward=True))
        else:
            assert key is not None
            query = select(Photo).where(_ready(album.id), beyond(album, key, forward=False)).order_by(
                *_reverse_order(album)
            )
        return query.with_only_columns(*PHOTO_CARD_COLUMNS).limit(limit)

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
        select(*PHOTO_CARD_COLUMNS).where(_ready(album.id), *dated).order_by(*dated_order).limit(limit).subquery(),
        select(*PHOTO_CARD_COLUMNS).where(_ready(album.id), *undated).order_by(*undated_order).limit(limit).subquery(),
    ]
    both = union_all(*(select(part) for part in parts)).subquery()
    if forward:
        order = [both.c.taken_at.is_(None), both.c.taken_at, both.c.id]
    else:
        order = [both.c.taken_at.is_(None).desc(), both.c.taken_at.desc(), both.c.id.desc()]
    return select(*(both.c[column.key] for column in PHOTO_CARD_COLUMNS)).order_by(*order).limit(limit)


def encode_cursor(album: Album, photo: Any, number: int) -> str:
    values: list[Any] = []
    for value in sort_key(album, photo):
        if isinstance(value, datetime):
            values.append({"t": value.astimezone(timezone.utc).isoformat()})
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
    columns = _sort_columns(album)
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


# --- page data ----------------------------------------------------------------------------------


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


def find_album(session: Session, slug: str, *, user: User | None, token: str | None) -> Album:
    """The album with its event, if this viewer may see it; else :class:`NotFoundError`."""
    album = session.scalar(select(Album).where(Album.slug == slug).options(joinedload(Album.event)))
    if album is None or not can_view_album(album, user, token):
        raise NotFoundError(f"no album {slug!r}")
    return album


def count_ready(session: Session, album: Album) -> int:
    return int(session.scalar(select(func.count()).select_from(Photo).where(_ready(album.id))) or 0)


def group_by_day(items: Iterable[PagePhoto], zone: ZoneInfo | timezone) -> list[DayGroup]:
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


def load_cover(session: Session, album: Album, page: Sequence[PhotoCard] = (), *, first_page: bool = True) -> PhotoCard | None:
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
        query = page_query(album, cursor.key if cursor else None, forward=True, limit=page_size + 1)
        rows = load_cards(session, query, columns_ready=True)
        more_after, more_before = len(rows) > page_size, cursor is not None
        rows = rows[:page_size]
        first_number = cursor.number + 1 if cursor is not None else 1
    else:
        query = page_query(album, cursor.key, forward=False, limit=page_size + 1)
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


# --- photo page ---------------------------------------------------------------------------------


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


def photo_in_album(
    session: Session, album: Album, photo_id: int, *, page_size: int = PAGE_SIZE
) -> PhotoContext:
    if not 0 < photo_id < 2**31:
        raise NotFoundError(f"no photo {photo_id}")
    photo = session.scalar(
        select(Photo)
        .where(Photo.id == photo_id, _ready(album.id))
        .options(selectinload(Photo.derivatives))
    )
    if photo is None:
        raise NotFoundError(f"no photo {photo_id} in album {album.slug!r}")
    key = sort_key(album, photo)
    nxt = session.execute(page_query(album, key, forward=True, limit=1)).first()
    prev = session.execute(page_query(album, key, forward=False, limit=1)).first()
    counts = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((beyond(album, key, forward=False), 1), else_=0)), 0),
        )
        .select_from(Photo)
        .where(_ready(album.id))
    ).one()
    total, before = int(counts[0]), int(counts[1])
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


# --- covers, cards, listings --------------------------------------------------------------------


def _first_ready_photo_id() -> Any:
    """Correlated subquery: the first ready photo of ``Album`` in its display order.

    Spelled so that the (album_id, taken_at, id) index answers it without sorting the
    album: the first dated photo, else the first undated one.  (SQLite cannot use an
    outer column in a subquery's ORDER BY, so manual albums get their own subquery
    and a CASE picks one.)"""

    def first(*conditions: Any, order: Sequence[Any]) -> Any:
        return (
            select(Photo.id)
            .where(_ready(Album.id), *conditions)
            .order_by(*order)
            .limit(1)
            .correlate(Album)
            .scalar_subquery()
        )

    by_capture = func.coalesce(
        first(Photo.taken_at.is_not(None), order=(Photo.taken_at, Photo.id)),
        first(Photo.taken_at.is_(None), order=(Photo.id,)),
    )
    by_position = first(
        order=(Photo.position.is_(None), Photo.position, Photo.taken_at.is_(None), Photo.taken_at, Photo.id)
    )
    return case((Album.sort_mode == SortMode.manual, by_position), else_=by_capture)


def _chosen_cover_id() -> Any:
    return (
        select(Photo.id)
        .where(Photo.id == Album.cover_photo_id, _ready(Album.id))
        .correlate(Album)
        .scalar_subquery()
    )


def _ready_count() -> Any:
    return select(func.count(Photo.id)).where(_ready(Album.id)).correlate(Album).scalar_subquery()


def album_covers(session: Session, albums: Sequence[Album]) -> dict[int, PhotoCard]:
    """album id → cover photo (with derivatives) for each album that has one: two queries."""
    if not albums:
        return {}
    ids = [a.id for a in albums]
    rows = session.execute(
        select(Album.id, func.coalesce(_chosen_cover_id(), _first_ready_photo_id())).where(Album.id.in_(ids))
    ).all()
    cover_ids = {album_id: photo_id for album_id, photo_id in rows if photo_id is not None}
    photos = _photos_by_id(session, set(cover_ids.values()))
    return {album_id: photos[pid] for album_id, pid in cover_ids.items() if pid in photos}


def _photos_by_id(session: Session, ids: set[int]) -> dict[int, PhotoCard]:
    if not ids:
        return {}
    return {p.id: p for p in load_cards(session, select(Photo).where(Photo.id.in_(sorted(ids))))}


@dataclass(frozen=True)
class AlbumCard:
    album: Album
    count: int
    cover: PhotoCard | None


@dataclass(frozen=True)
class EventCard:
    event: Event
    cover: PhotoCard | None
    album_count: int


def _album_cards(session: Session, query: Select[Any]) -> list[AlbumCard]:
    rows = session.execute(
        query.add_columns(func.coalesce(_chosen_cover_id(), _first_ready_photo_id()), _ready_count())
    ).all()
    photos = _photos_by_id(session, {row[1] for row in rows if row[1] is not None})
    return [AlbumCard(album=row[0], cover=photos.get(row[1]) if row[1] else None, count=int(row[2])) for row in rows]


def home_events(session: Session, *, limit: int = HOME_EVENTS) -> list[EventCard]:
    """Events with at least one public album, newest first, each with its cover: the cover
    of its first public album that has photos.  Three queries."""
    has_public = (
        select(Album.id).where(Album.event_id == Event.id, Album.visibility == Visibility.public).exists()
    )
    events = list(
        session.scalars(select(Event).where(has_public).order_by(Event.starts_on.desc(), Event.id.desc()).limit(limit))
    )
    if not events:
        return []
    cards = _album_cards(
        session,
        select(Album)
        .where(Album.event_id.in_([e.id for e in events]), Album.visibility == Visibility.public)
        .order_by(Album.event_id, Album.id),
    )
    covers: dict[int, PhotoCard] = {}
    counts: dict[int, int] = {}
    for card in cards:
        counts[card.album.event_id] = counts.get(card.album.event_id, 0) + 1
        if card.cover is not None and card.album.event_id not in covers:
            covers[card.album.event_id] = card.cover
    return [EventCard(event=e, cover=covers.get(e.id), album_count=counts.get(e.id, 0)) for e in events]


@dataclass(frozen=True)
class EventContext:
    event: Event
    albums: list[AlbumCard]
    reports: list[Report]
    cover: PhotoCard | None


def _event_reports(session: Session, event: Event, user: User | None) -> list[Report]:
    query = select(Report).where(Report.event_id == event.id)
    if not has_permission(user, Permission.edit_content):
        query = query.where(Report.status == ReportStatus.published)
    return list(
        session.scalars(query.order_by(Report.published_at.is_(None), Report.published_at.desc(), Report.id.desc()))
    )


def event_page(session: Session, slug: str, *, user: User | None) -> EventContext:
    """An event with the albums this viewer may see listed and its reports (drafts for
    editors only).  An event with nothing to show this viewer is a 404."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    albums = _album_cards(
        session,
        select(Album)
        .where(Album.event_id == event.id, Album.visibility.in_(listed_visibilities(user)))
        .order_by(Album.id),
    )
    reports = _event_reports(session, event, user)
    if not albums and not reports and not sees_private(user):
        raise NotFoundError(f"no event {slug!r}")
    cover = next(
        (c.cover for c in albums if c.cover is not None and c.album.visibility == Visibility.public),
        next((c.cover for c in albums if c.cover is not None), None),
    )
    return EventContext(event=event, albums=albums, reports=reports, cover=cover)


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlbumStrip:
    album: Album
    count: int
    photos: list[PhotoCard]


@dataclass(frozen=True)
class ReportContext:
    event: Event
    report: Report
    linked: list[AlbumCard]  # the report's photo reports (report_albums) this viewer may see
    strips: dict[str, AlbumStrip] = field(default_factory=dict)  # slug → strip, visible albums only


def find_report(session: Session, event_slug: str, report_slug: str, *, user: User | None) -> Report:
    report = session.scalar(
        select(Report)
        .join(Event, Event.id == Report.event_id)
        .where(Event.slug == event_slug, Report.slug == report_slug)
        .options(joinedload(Report.event))
    )
    if report is None:
        raise NotFoundError(f"no report {report_slug!r} in event {event_slug!r}")
    if report.status != ReportStatus.published and not has_permission(user, Permission.edit_content):
        raise NotFoundError(f"no report {report_slug!r} in event {event_slug!r}")
    return report


def report_page(
    session: Session, report: Report, *, user: User | None, shortcode_slugs: Iterable[str], strip_size: int = STRIP_SIZE
) -> ReportContext:
    """The report's linked albums and the album strips for its ``[album slug]`` shortcodes,
    limited to albums this viewer may see (without a share token: a report never
    reveals an unlisted or private album to visitors)."""
    linked_query = (
        select(Album)
        .join(report_albums, report_albums.c.album_id == Album.id)
        .where(report_albums.c.report_id == report.id, Album.visibility.in_(listed_visibilities(user)))
        .order_by(report_albums.c.position, Album.id)
    )
    linked = _album_cards(session, linked_query)
    slugs = sorted(set(shortcode_slugs))
    strips: dict[str, AlbumStrip] = {}
    if slugs:
        albums = list(
            session.scalars(
                select(Album).where(Album.slug.in_(slugs), Album.visibility.in_(listed_visibilities(user)))
            )
        )
        albums = [a for a in albums if can_view_album(a, user)]
        if albums:
            strips = _strips(session, albums, strip_size)
    return ReportContext(event=report.event, report=report, linked=linked, strips=strips)


def _strips(session: Session, albums: Sequence[Album], size: int) -> dict[str, AlbumStrip]:
    """The first ``size`` photos of each album, in display order, in two queries (a window
    function numbers the photos of each album) plus one for the counts."""
    manual = [a.id for a in albums if a.sort_mode == SortMode.manual]
    manual_position = case((Photo.album_id.in_(manual), Photo.position), else_=None) if manual else None
    order: list[Any] = []
    if manual_position is not None:
        order += [manual_position.is_(None), manual_position]
    order += [Photo.taken_at.is_(None), Photo.taken_at, Photo.id]
    numbered = (
        select(Photo.id.label("pid"), func.row_number().over(partition_by=Photo.album_id, order_by=order).label("n"))
        .where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None), Photo.status == PhotoStatus.ready)
        .subquery()
    )
    rows = load_cards(
        session,
        select(Photo).join(numbered, numbered.c.pid == Photo.id).where(numbered.c.n <= size).order_by(
            Photo.album_id, numbered.c.n
        ),
    )
    counts = dict(
        session.execute(
            select(Photo.album_id, func.count())
            .where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None), Photo.status == PhotoStatus.ready)
            .group_by(Photo.album_id)
        ).all()
    )
    by_album: dict[int, list[PhotoCard]] = {}
    for photo in rows:
        by_album.setdefault(photo.album_id, []).append(photo)
    return {
        a.slug: AlbumStrip(album=a, count=int(counts.get(a.id, 0)), photos=by_album.get(a.id, [])) for a in albums
    }
