"""THE rule of which sessions a photo belongs to.

A photo belongs to every session whose span, widened by the margin
(``GALLERY_SESSION_MARGIN_MINUTES``, default 10) on both sides, holds its capture time -- the
instant :mod:`gallery.photos.capture` tells on the event's clock; both ends count.  A photo in
parallel sessions belongs to each of them; a photo without a capture time (``taken_at_source``
``upload``) belongs to none.

The rule is written once, in :func:`_rule`, against two words ("the capture time is known", "it
lies within these bounds"); :class:`_Check` reads them as Python booleans for a loaded photo and
:class:`_Sql` as a clause over ``Photo.taken_at``, so :func:`belongs` and :func:`photo_filter`
cannot disagree (``tests/unit/schedule/test_membership.py`` proves it at the edges).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_

from gallery.models import Photo
from gallery.photos.capture import Dated, event_time
from gallery.schedule.models import EventSession

T = TypeVar("T")

DEFAULT_MARGIN_MINUTES = 10


class Timed(Protocol):
    """What the rule reads of a session: an :class:`EventSession` or a page's card of one."""

    @property
    def starts_at(self) -> datetime: ...

    @property
    def ends_at(self) -> datetime: ...


@dataclass(frozen=True)
class Span:
    """The instants (aware UTC) between which a capture time puts a photo in a session."""

    earliest: datetime
    latest: datetime


def _utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def span(session: Timed, margin_minutes: int = DEFAULT_MARGIN_MINUTES) -> Span:
    """A session's span widened by the margin on both sides."""
    margin = timedelta(minutes=max(0, margin_minutes))
    return Span(earliest=_utc(session.starts_at) - margin, latest=_utc(session.ends_at) + margin)


# --- the rule, once -----------------------------------------------------------------------------------


class _Terms(Protocol[T]):
    def known(self) -> T: ...
    def within(self, bounds: Span) -> T: ...
    def all(self, *terms: T) -> T: ...


def _rule(t: _Terms[T], bounds: Span) -> T:
    return t.all(t.known(), t.within(bounds))


class _Check:
    """The rule read on one loaded photo (or a page's card of one)."""

    def __init__(self, photo: Dated) -> None:
        # The capture instant on the event's clock; the zone does not move an instant, so UTC
        # serves: what matters is that the stored time is read as capture.py reads it.
        self.taken = event_time(photo.taken_at, UTC)

    def known(self) -> bool:
        return self.taken is not None

    def within(self, bounds: Span) -> bool:
        return self.taken is not None and bounds.earliest <= self.taken <= bounds.latest

    def all(self, *terms: bool) -> bool:
        return all(terms)


class _Sql:
    """The rule read as a clause over ``Photo.taken_at``."""

    def known(self) -> ColumnElement[bool]:
        return Photo.taken_at.is_not(None)

    def within(self, bounds: Span) -> ColumnElement[bool]:
        return Photo.taken_at.between(bounds.earliest, bounds.latest)

    def all(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(*terms)


_SQL = _Sql()


def belongs(photo: Dated, session: Timed, margin_minutes: int = DEFAULT_MARGIN_MINUTES) -> bool:
    """Whether the photo belongs to the session."""
    return _rule(_Check(photo), span(session, margin_minutes))


def sessions_of(
    photo: Dated, sessions: Iterable[EventSession], margin_minutes: int = DEFAULT_MARGIN_MINUTES
) -> list[EventSession]:
    """The sessions (of those given, in their order) the photo belongs to."""
    return [session for session in sessions if belongs(photo, session, margin_minutes)]


def photo_filter(session: Timed, margin_minutes: int = DEFAULT_MARGIN_MINUTES) -> ColumnElement[bool]:
    """SQL: the photo belongs to the session (a clause over ``Photo``)."""
    return _rule(_SQL, span(session, margin_minutes))


def any_session_filter(sessions: Sequence[Timed], margin_minutes: int = DEFAULT_MARGIN_MINUTES) -> ColumnElement[bool]:
    """SQL: the photo belongs to at least one of the sessions (false for none)."""
    if not sessions:
        return false()
    return or_(*(photo_filter(session, margin_minutes) for session in sessions))
