"""The search itself: photos, albums, reports and sessions matching a query, only what the viewer
may see, with filters, two orders and keyset pages.

**What is searched**: the documents of :mod:`gallery.search.index`, through the database's own
index (:mod:`gallery.search.models`): FTS5 ``MATCH`` and ``bm25`` on SQLite, ``@@`` on the GIN-
indexed ``tsvector`` and ``ts_rank`` on PostgreSQL.  The query is folded by the same function as
the text (:mod:`gallery.search.query`).

**Who sees what**: the one rule of :mod:`gallery.catalog.visibility`, as SQL filters.  Search
*finds*, so it follows the rule for listings: a photo is found when its album is listed to the
viewer (:func:`~gallery.catalog.visibility.listed_album_filter`: the album rule without share
tokens) and visitor surfaces show it (:func:`~gallery.catalog.visibility.shown_photo_filter`:
ready, not deleted, not hidden) -- exactly the photos whose album pages the viewer opens without a
token; an album when it is listed to the viewer; a report when they may read it; a session
when they may see its event.  So unlisted albums are found by staff only, and anonymous visitors
never find a private, unlisted, hidden or deleted photo.

**Filters**: event (slug), day (the calendar day in the event's zone, as
:func:`gallery.photos.capture.event_day` tells it), session (the one membership rule,
:func:`gallery.schedule.membership.photo_filter`), credit and camera (exact).  **Order**:
relevance (best first), or capture time (undated last, as albums).  Photos come a page at a
time (:func:`gallery.core.pages.keyset_rows`); albums, reports and sessions (at most
:data:`OTHER_LIMIT` each) with the first page only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, contains_eager, selectinload

from gallery.catalog.visibility import (
    Viewer,
    event_filter,
    listed_album_filter,
    report_filter,
    shown_photo_filter,
)
from gallery.core.errors import NotFoundError
from gallery.core.pages import (
    DEFAULT_LIMIT,
    Page,
    SortKey,
    check_limit,
    decode_cursor,
    encode_cursor,
    keyset_rows,
)
from gallery.models import Album, Event, Photo, Report
from gallery.photos import tallies
from gallery.photos.capture import event_zone
from gallery.schedule import membership
from gallery.schedule.models import EventSession
from gallery.search.highlight import highlight
from gallery.search.query import Query, parse
from gallery.search.ranking import candidates, matches, tiered

OTHER_LIMIT = 10
#: Relevance pages rank candidates in batches of (page size + 1) x this, growing
#: by this factor, up to :data:`CANDIDATES_MAX` candidates (then one query joins every match).
CANDIDATE_FACTOR = 4
CANDIDATES_MAX = 20_000
#: A filter without an event that keeps fewer photos than this is searched by the single query.
FILTERED_FEW = 2_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Sort(enum.StrEnum):
    relevance = "relevance"
    time = "time"


@dataclass(frozen=True)
class Filters:
    event: str | None = None
    day: date | None = None
    session: str | None = None
    credit: str | None = None
    camera: str | None = None

    @property
    def any(self) -> bool:
        return any(value not in (None, "") for value in vars(self).values())


@dataclass(frozen=True)
class PhotoHit:
    """A photo found, read as the photo itself (``hit.caption``, ``hit.album``) plus its
    ``highlight``: the caption, escaped, matches in ``<mark>``."""

    photo: Photo  # with its album and event loaded
    highlight: Markup

    def __getattr__(self, name: str) -> Any:
        return getattr(self.photo, name)


@dataclass(frozen=True)
class Results:
    query: Query
    sort: Sort
    photos: list[PhotoHit] = field(default_factory=list)
    next: str | None = None
    albums: list[Album] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    sessions: list[EventSession] = field(default_factory=list)
    event: Event | None = None  # the event filter's event
    session: EventSession | None = None  # the session filter's session, when one event holds it

    @property
    def empty(self) -> bool:
        return not (self.photos or self.albums or self.reports or self.sessions)


# --- matching documents ------------------------------------------------------------------------------


# --- filters -----------------------------------------------------------------------------------------------


def _event(session: Session, slug: str, viewer: Viewer) -> Event:
    found = session.scalar(select(Event).where(Event.slug == slug, event_filter(viewer)))
    if found is None:
        raise NotFoundError(f"no event {slug!r}")
    return found


def day_bounds(day: date, zone: Any) -> tuple[datetime, datetime]:
    """The instants (UTC) between which a capture falls on ``day`` in ``zone``: local midnight to
    the next local midnight (23 or 25 hours on days the clocks change)."""
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def _day_clause(session: Session, day: date, event: Event | None) -> ColumnElement[bool]:
    """SQL over ``Photo`` and ``Event``: the capture falls on ``day`` in its event's zone."""
    zones = [event.timezone] if event is not None else list(session.scalars(select(Event.timezone).distinct()))
    clauses = []
    for name in zones:
        start, end = day_bounds(day, event_zone(Event(timezone=name)))
        clauses.append(and_(Event.timezone == name, Photo.taken_at >= start, Photo.taken_at < end))
    return or_(*clauses) if clauses else false()


def _sessions(session: Session, slug: str, event: Event | None, viewer: Viewer) -> list[EventSession]:
    query = (
        select(EventSession)
        .join(Event, Event.id == EventSession.event_id)
        .where(EventSession.slug == slug, event_filter(viewer))
    )
    if event is not None:
        query = query.where(EventSession.event_id == event.id)
    found = list(session.scalars(query.order_by(EventSession.id)))
    if not found:
        raise NotFoundError(f"no session {slug!r}")
    return found


def _session_clause(found: Sequence[EventSession], margin_minutes: int) -> ColumnElement[bool]:
    """SQL over ``Photo`` and ``Album``: the photo is from the session's event and belongs to it."""
    return or_(*(and_(Album.event_id == s.event_id, membership.photo_filter(s, margin_minutes)) for s in found))


# --- the search ----------------------------------------------------------------------------------------


def search(
    session: Session,
    query: Query | str | None,
    *,
    viewer: Viewer,
    filters: Filters = Filters(),
    sort: Sort | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    margin_minutes: int = membership.DEFAULT_MARGIN_MINUTES,
) -> Results:
    """One page of photos matching ``query`` and ``filters`` that ``viewer`` may find, in
    ``sort`` order (relevance by default; capture time when there are no words), and on the
    first page the matching albums, reports and sessions.  Nothing at all for an empty query
    without filters.  :class:`NotFoundError` for an event or session the viewer cannot see;
    :class:`~gallery.core.errors.BadCursor` for a broken cursor; ``query`` may be the search
    box's text (:func:`gallery.search.query.parse`: :class:`ValidationError` when too long)."""
    if not isinstance(query, Query):
        query = parse(query)
    sort = Sort.time if query.empty else (sort or Sort.relevance)
    if query.empty and not filters.any:
        return Results(query=query, sort=sort)
    dialect = session.get_bind().dialect.name
    event = _event(session, filters.event, viewer) if filters.event else None
    found_sessions = _sessions(session, filters.session, event, viewer) if filters.session else []

    conditions: list[ColumnElement[bool]] = [listed_album_filter(viewer), shown_photo_filter()]
    if event is not None:
        conditions.append(Album.event_id == event.id)
    if filters.day is not None:
        conditions.append(_day_clause(session, filters.day, event))
    if found_sessions:
        conditions.append(_session_clause(found_sessions, margin_minutes))
    if filters.credit:
        conditions.append(Photo.credit == filters.credit)
    if filters.camera:
        conditions.append(Photo.camera_model == filters.camera)

    photos: Select[Any] = (
        select(Photo)
        .join(Album, Album.id == Photo.album_id)
        .join(Event, Event.id == Album.event_id)
        .where(*conditions)
        .options(contains_eager(Photo.album).contains_eager(Album.event), selectinload(Photo.derivatives))
    )
    # The documents carry their event: a search within events ranks those events' documents only
    # (the session's event: the session clause requires it too).
    events = [event.id] if event is not None else sorted({s.event_id for s in found_sessions}) or None
    photo_id = Photo.id.label("photo_id")
    name = f"search-{sort.value}"
    page: Page[Any] | None = None
    # Day, credit or camera without an event are checked on the candidates: worth it when ranking is
    # what costs (one prefix word over the whole catalogue, ranked in tiers) and the filter keeps
    # many photos (else the single query, which the database starts from the filter's photos).
    filtered = events is None and filters.any
    ranked = not query.empty and sort == Sort.relevance
    if ranked and filtered:
        ranked = tiered(dialect, query, events) and not _few(session, filters, conditions, viewer)
    if ranked:
        page = _ranked_page(
            session,
            dialect,
            query,
            conditions,
            photos,
            events=events,
            cursor=cursor,
            limit=limit,
            name=name,
            filtered=filtered,
        )
    if page is None:
        if query.empty:
            order = _time_order(photo_id)
        else:
            hits = matches(dialect, query, "photo", events)
            photos = photos.join(hits, hits.c.object_id == Photo.id)
            if sort == Sort.relevance:
                order = [SortKey(hits.c.rank, descending=True), SortKey(photo_id)]
            else:
                order = _time_order(photo_id)
        photos = photos.add_columns(*(key.column for key in order))
        page = keyset_rows(session, photos, order, name=name, cursor=cursor, limit=limit)
    hits_list = [PhotoHit(photo=row[0], highlight=highlight(row[0].caption, query)) for row in page.items]

    results = Results(
        query=query,
        sort=sort,
        photos=hits_list,
        next=page.next,
        event=event,
        session=found_sessions[0] if len(found_sessions) == 1 else None,
    )
    if cursor or query.empty:
        return results
    return Results(
        **{
            **vars(results),
            "albums": _albums(session, dialect, query, viewer, event),
            "reports": _reports(session, dialect, query, viewer, event),
            "sessions": _found_sessions(session, dialect, query, viewer, event),
        }
    )


def _ranked_page(
    session: Session,
    dialect: str,
    query: Query,
    conditions: Sequence[ColumnElement[bool]],
    photos: Select[Any],
    *,
    events: Sequence[int] | None,
    cursor: str | None,
    limit: int,
    name: str,
    filtered: bool = False,
) -> Page[Any] | None:
    """A relevance page, found by ranking the matching documents alone (only those of ``events``
    when given: a search within an event or session); the other filters (day, credit, camera)
    are checked with the visibility rule, on the candidates.

    Joining the photos to every match before ordering sorts all of them in full (PostgreSQL
    cannot stop early: the join's visibility filter might drop any row), and a prefix such as
    ``konf`` matches half the collection.  Here the documents are ranked on their own, which
    is a bounded top-N sort (``ORDER BY rank DESC, object_id LIMIT n``); only those candidates
    are checked against ``conditions`` (the one visibility rule, and the filters), in the same order, and the next
    candidates are taken after the last one until the page is full; then only the page's photos
    are loaded (``photos``).  The rows and the cursor are exactly those of the single query (same order, same
    cursor), so pages may mix both ways.  None when the viewer may find too few of the matches
    for that to pay (:data:`CANDIDATES_MAX` ranked), or, ``filtered`` (day, credit or camera without
    an event), when two batches would not fill the page: the caller runs the single query."""
    check_limit(limit)
    hits = matches(dialect, query, "photo", events)
    order = [SortKey(hits.c.rank, descending=True), SortKey(hits.c.object_id)]
    after = decode_cursor(name, cursor, order) if cursor else None
    # a filter keeps a share of the candidates: start with as many as a second batch would take
    batch = first = (limit + 1) * CANDIDATE_FACTOR * (CANDIDATE_FACTOR if filtered else 1)
    found: list[tuple[int, float]] = []  # (photo id, rank) of the findable candidates, in order
    while True:
        ranked = candidates(session, dialect, query, events, (after[0], after[1]) if after else None, batch)
        if ranked:
            ids = [object_id for object_id, _rank in ranked]
            shown = set(session.scalars(_meeting(conditions).where(_one_of(dialect, Photo.id, ids))))
            found.extend((object_id, rank) for object_id, rank in ranked if object_id in shown)
        if len(found) > limit or len(ranked) < batch:
            break
        if batch * CANDIDATE_FACTOR > CANDIDATES_MAX:
            return None
        if filtered and (batch > first or limit + 1 - len(found) > len(found) * CANDIDATE_FACTOR):
            return None  # a selective filter: the next batch would not (or did not) fill the page
        after = (ranked[-1][1], ranked[-1][0])
        batch *= CANDIDATE_FACTOR
    page = found[:limit]
    loaded = {}
    if page:
        chosen = _one_of(dialect, Photo.id, [i for i, _r in page])
        loaded = {photo.id: photo for photo in session.scalars(photos.where(chosen))}
    items = [(loaded[photo_id],) for photo_id, _rank in page]
    if len(found) <= limit:
        return Page(items=items, next=None)
    last_id, last_rank = page[-1]
    return Page(items=items, next=encode_cursor(name, [last_rank, last_id]))


def _few(session: Session, filters: Filters, conditions: Sequence[ColumnElement[bool]], viewer: Viewer) -> bool:
    """Whether the filters keep fewer than :data:`FILTERED_FEW` photos the viewer may find.  A
    credit alone is answered by the albums' tallies (a few rows; counting the photos read up to
    2,000 of them, 15 ms of a request at 100,000 photos); it only chooses the way, not the rows."""
    if filters.credit and filters.day is None and not filters.camera:
        return tallies.credited_count(session, filters.credit, listed_album_filter(viewer)) < FILTERED_FEW
    return _fewer_than(session, conditions, FILTERED_FEW)


def _fewer_than(session: Session, conditions: Sequence[ColumnElement[bool]], n: int) -> bool:
    """Whether fewer than ``n`` photos meet ``conditions`` (reading at most ``n`` of them)."""
    first = _meeting(conditions).limit(n).subquery()
    return session.execute(select(func.count()).select_from(first)).scalar_one() < n


def _meeting(conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """The ids of the photos that meet ``conditions`` (SQL over ``Photo``, ``Album`` and ``Event``)."""
    return (
        select(Photo.id)
        .join(Album, Album.id == Photo.album_id)
        .join(Event, Event.id == Album.event_id)
        .where(*conditions)
    )


def _one_of(dialect: str, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter (``= ANY(%s)``), so that the statement's
    text is the same for any number of ids (``IN`` spells a placeholder per id: its text is made
    and parsed anew, by SQLAlchemy and psycopg, for each number of candidates)."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _time_order(photo_id: ColumnElement[Any]) -> list[SortKey]:
    undated = sa.case((Photo.taken_at.is_(None), 1), else_=0).label("undated")
    captured = func.coalesce(Photo.taken_at, sa.literal(_EPOCH, Photo.taken_at.type)).label("captured")
    return [SortKey(undated), SortKey(captured), SortKey(photo_id)]


def _albums(session: Session, dialect: str, query: Query, viewer: Viewer, event: Event | None) -> list[Album]:
    hits = matches(dialect, query, "album")
    statement = (
        select(Album)
        .join(hits, hits.c.object_id == Album.id)
        .join(Event, Event.id == Album.event_id)
        .where(listed_album_filter(viewer))
        .options(contains_eager(Album.event))
        .order_by(hits.c.rank.desc(), Album.id)
        .limit(OTHER_LIMIT)
    )
    if event is not None:
        statement = statement.where(Album.event_id == event.id)
    return list(session.scalars(statement))


def _reports(session: Session, dialect: str, query: Query, viewer: Viewer, event: Event | None) -> list[Report]:
    hits = matches(dialect, query, "report")
    statement = (
        select(Report)
        .join(hits, hits.c.object_id == Report.id)
        .join(Event, Event.id == Report.event_id)
        .where(report_filter(viewer))
        .options(contains_eager(Report.event))
        .order_by(hits.c.rank.desc(), Report.id)
        .limit(OTHER_LIMIT)
    )
    if event is not None:
        statement = statement.where(Report.event_id == event.id)
    return list(session.scalars(statement))


def _found_sessions(
    session: Session, dialect: str, query: Query, viewer: Viewer, event: Event | None
) -> list[EventSession]:
    hits = matches(dialect, query, "session")
    statement = (
        select(EventSession)
        .join(hits, hits.c.object_id == EventSession.id)
        .join(Event, Event.id == EventSession.event_id)
        .where(event_filter(viewer))
        .options(contains_eager(EventSession.event))
        .order_by(hits.c.rank.desc(), EventSession.starts_at, EventSession.id)
        .limit(OTHER_LIMIT)
    )
    if event is not None:
        statement = statement.where(EventSession.event_id == event.id)
    return list(session.scalars(statement))


# --- the search page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPage:
    """The search page: the results, and what its filters offer (the events the viewer may see;
    the sessions of the chosen event)."""

    results: Results
    events: list[Event]
    sessions: list[EventSession]


def search_page(session: Session, query: Query | str | None, *, viewer: Viewer, **kwargs: Any) -> SearchPage:
    """:func:`search`, with the choices of the page's filters."""
    results = search(session, query, viewer=viewer, **kwargs)
    events = list(session.scalars(select(Event).where(event_filter(viewer)).order_by(Event.starts_on.desc(), Event.id)))
    sessions: list[EventSession] = []
    if results.event is not None:
        sessions = list(
            session.scalars(
                select(EventSession)
                .where(EventSession.event_id == results.event.id)
                .order_by(EventSession.starts_at, EventSession.id)
            )
        )
    return SearchPage(results=results, events=events, sessions=sessions)
