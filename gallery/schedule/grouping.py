"""The album page grouped by the programme ("Group by: day | session", ``?group=session``).

The page is the same page of photos as day grouping cuts (:func:`gallery.photos.pages.album_page`:
the one display order, keyset pages); only its headings differ.  Each photo goes under the heading
of every session it belongs to (:mod:`gallery.schedule.membership`: a photo in parallel sessions
under each); a run of photos in no session goes under "Between sessions" at its place in time;
photos without a capture time come last, as with day grouping.  Sessions are headed in the order
the page first reaches them -- for an album in capture order, programme order.

An album whose event has no programme, or a ``group`` other than ``session``, is grouped by day.
Headings carry a ``key`` that is the same on every page (``session-<id>``, ``between-<id of the
last session over before the run>``, ``day-<date>``, ``undated``), so that the album page's script,
loading the next page, adds its photos to the section already on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from enum import Enum

from sqlalchemy.orm import Session

from gallery.models import Album
from gallery.photos.capture import event_time
from gallery.photos.pages import PAGE_SIZE, AlbumPage, PagePhoto, album_page
from gallery.schedule import membership, service
from gallery.schedule.models import EventSession


class Grouping(str, Enum):
    day = "day"
    session = "session"


class Kind(str, Enum):
    day = "day"
    session = "session"
    between = "between"
    undated = "undated"


@dataclass
class Section:
    """One heading of the album page and the photos under it."""

    kind: Kind
    key: str
    items: list[PagePhoto] = field(default_factory=list)
    session: EventSession | None = None  # kind == session
    day: date | None = None  # kind == day


@dataclass(frozen=True)
class GroupedPage:
    page: AlbumPage
    grouping: Grouping  # what the page is grouped by (day when a session grouping was not possible)
    sections: list[Section]
    has_programme: bool  # the event has sessions: the page offers "Group by: session"


def parse_grouping(value: str | None) -> Grouping:
    """``?group=``: ``session``, or day for anything else."""
    return Grouping.session if value == Grouping.session.value else Grouping.day


def by_day(page: AlbumPage) -> list[Section]:
    """The page's day groups (:func:`gallery.photos.pages.group_by_day`) as sections."""
    return [
        Section(kind=Kind.day, key=f"day-{group.day.isoformat()}", items=group.items, day=group.day)
        if group.day is not None
        else Section(kind=Kind.undated, key=Kind.undated.value, items=group.items)
        for group in page.groups
    ]


def _gap_key(item: PagePhoto, sessions: Sequence[EventSession], margin: int) -> str:
    """The key of the gap a photo in no session falls in: the last session over before it."""
    taken = event_time(item.photo.taken_at, UTC)
    over = [s for s in sessions if taken is not None and membership.span(s, margin).latest < taken]
    last = max(over, key=lambda s: (membership.span(s, margin).latest, s.id), default=None)
    return f"between-{last.id if last is not None else 0}"


def by_session(items: Sequence[PagePhoto], sessions: Sequence[EventSession], margin: int) -> list[Section]:
    """Sections by session (see the module's note); ``sessions`` in programme order."""
    sections: list[Section] = []
    by_key: dict[str, Section] = {}
    undated: Section | None = None
    for item in items:
        if item.photo.taken_at is None:
            if undated is None:
                undated = Section(kind=Kind.undated, key=Kind.undated.value)
            undated.items.append(item)
            continue
        held = membership.sessions_of(item.photo, sessions, margin)
        if not held:
            key = _gap_key(item, sessions, margin)
            last = sections[-1] if sections else None
            if last is not None and last.key == key:
                last.items.append(item)
            else:  # a new run (or the same gap again, after other sections: a new heading)
                sections.append(Section(kind=Kind.between, key=key, items=[item]))
            continue
        for event_session in held:
            key = f"session-{event_session.id}"
            found = by_key.get(key)
            if found is None:
                found = by_key[key] = Section(kind=Kind.session, key=key, session=event_session)
                sections.append(found)
            found.items.append(item)
    if undated is not None:
        sections.append(undated)
    return sections


def grouped_album_page(
    session: Session,
    album: Album,
    *,
    group: str | None = None,
    after: str | None = None,
    before: str | None = None,
    page_size: int = PAGE_SIZE,
    margin_minutes: int = membership.DEFAULT_MARGIN_MINUTES,
) -> GroupedPage:
    """One page of the album (as :func:`~gallery.photos.pages.album_page`) with its headings: by
    day, or by session when ``group`` is ``session`` and the event has a programme."""
    page = album_page(session, album, after=after, before=before, page_size=page_size)
    sessions = service.list_sessions(session, album.event)
    grouping = parse_grouping(group) if sessions else Grouping.day
    if grouping is Grouping.session:
        sections = by_session(page.photos, sessions, margin_minutes)
    else:
        sections = by_day(page)
    return GroupedPage(page=page, grouping=grouping, sections=sections, has_programme=bool(sessions))
