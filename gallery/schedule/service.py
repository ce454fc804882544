"""An event's programme: import it from iCalendar, list, read, add, change and delete sessions.

The commit is the caller's; everything a call writes is in its session, so a failed import
leaves nothing behind (the file is read whole before the first row is touched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.catalog.events import clean_text, first_free_slug, make_slug, validate_slug
from gallery.core.audit import Actor, record
from gallery.core.changes import KEEP, apply_changes, kept
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.permissions import Permission, require_permission
from gallery.models import Event, max_length
from gallery.photos.capture import event_zone
from gallery.schedule import ical
from gallery.schedule.models import EventSession

SESSION_ORDER = (EventSession.starts_at, EventSession.room, EventSession.id)


def list_sessions(session: Session, event: Event) -> list[EventSession]:
    """The event's sessions in programme order: by start, then room."""
    return list(session.scalars(select(EventSession).where(EventSession.event_id == event.id).order_by(*SESSION_ORDER)))


def get_session(session: Session, event: Event, slug: str) -> EventSession:
    found = session.scalar(select(EventSession).where(EventSession.event_id == event.id, EventSession.slug == slug))
    if found is None:
        raise NotFoundError(f"no session {slug!r} in the event {event.slug!r}")
    return found


def _slug_taken(session: Session, event: Event, slug: str, *, but: EventSession | None = None) -> bool:
    query = select(EventSession.id).where(EventSession.event_id == event.id, EventSession.slug == slug)
    if but is not None and but.id is not None:
        query = query.where(EventSession.id != but.id)
    return session.scalar(query) is not None


def _free_slug(session: Session, event: Event, title: str) -> str:
    return first_free_slug(make_slug(title, field="title"), lambda slug: _slug_taken(session, event, slug))


# --- import --------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[EventSession] = field(default_factory=list)
    updated: list[EventSession] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[ical.Skipped] = field(default_factory=list)
    # Imported earlier from a file (a UID) that this file no longer lists: left alone, for an
    # editor to delete if the session was dropped from the programme.
    missing: list[EventSession] = field(default_factory=list)


def import_schedule(session: Session, event: Event, data: bytes, *, actor: Actor) -> ImportResult:
    """Import an iCalendar programme into ``event``: a session whose UID is already there is
    updated (its slug, and so its page address, stays), a new one is added.  Sessions the file
    does not mention are left alone (those imported from an earlier file are listed as
    ``missing``).  :class:`~gallery.schedule.ical.ScheduleFileError` (422) when the file cannot
    be read -- nothing is written then."""
    programme = ical.parse(data, event_zone(event))
    existing = {
        s.uid: s
        for s in session.scalars(
            select(EventSession).where(EventSession.event_id == event.id, EventSession.uid.is_not(None))
        )
    }
    result = ImportResult(skipped=programme.skipped)
    for parsed in programme.sessions:
        values: dict[str, Any] = {
            "title": parsed.title,
            "starts_at": parsed.starts_at,
            "ends_at": parsed.ends_at,
            "room": parsed.room,
            "speakers": list(parsed.speakers),
            "description": parsed.description,
        }
        current = existing.get(parsed.uid)
        if current is None:
            current = EventSession(event_id=event.id, uid=parsed.uid, slug=_free_slug(session, event, parsed.title))
            current.event = event
            for name, value in values.items():
                setattr(current, name, value)
            session.add(current)
            session.flush()  # the next slug sees this one
            result.created.append(current)
        elif apply_changes(current, values):
            result.updated.append(current)
        else:
            result.unchanged += 1
    listed = {parsed.uid for parsed in programme.sessions}
    result.missing = sorted(
        (s for uid, s in existing.items() if uid not in listed), key=lambda s: (s.starts_at, s.room, s.id)
    )
    record(
        session,
        "schedule.import",
        actor=actor,
        obj=event,
        details={
            "event": event.slug,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
            "skipped": len(result.skipped),
            "missing": [s.slug for s in result.missing],
        },
    )
    return result


# --- one session -------------------------------------------------------------------------------------------


def _when(value: object, fieldname: str, event: Event) -> datetime:
    """A session time: an aware datetime, or a naive one read in the event's zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"{fieldname} must be a date and time (ISO 8601)", field=fieldname) from None
    if not isinstance(value, datetime):
        raise ValidationError(f"{fieldname} must be a date and time (ISO 8601)", field=fieldname)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=event_zone(event))
    return ical.as_utc(value)


def _speaker_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) for name in value):
        raise ValidationError("speakers must be a list of names", field="speakers")
    names = [clean_text(name, "speakers", max_length=ical.SPEAKER_MAX) for name in value]
    names = list(dict.fromkeys(name for name in names if name))
    if len(names) > ical.SPEAKERS_MAX:
        raise ValidationError(f"at most {ical.SPEAKERS_MAX} speakers", field="speakers")
    return names


def _values(
    event: Event,
    *,
    title: object,
    starts_at: object,
    ends_at: object,
    room: object,
    speakers: object,
    description: object,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": clean_text(title, "title", max_length=max_length(EventSession.title), required=True),
        "starts_at": _when(starts_at, "starts_at", event),
        "ends_at": _when(ends_at, "ends_at", event),
        "room": clean_text(room, "room", max_length=max_length(EventSession.room)),
        "speakers": _speaker_list(speakers),
        "description": clean_text(description, "description", max_length=max_length(EventSession.description)),
    }
    if values["ends_at"] < values["starts_at"]:
        raise ValidationError("the session ends before it starts", field="ends_at")
    return values


def _checked_slug(session: Session, event: Event, slug: object, *, but: EventSession | None = None) -> str:
    if not isinstance(slug, str):
        raise ValidationError("slug must be text", field="slug")
    slug_s = validate_slug(slug)
    if _slug_taken(session, event, slug_s, but=but):
        raise ConflictError(f"the session slug {slug_s!r} is taken in this event", field="slug")
    return slug_s


def create_session(
    session: Session,
    event: Event,
    *,
    title: object,
    starts_at: object,
    ends_at: object,
    room: object = "",
    speakers: object = (),
    description: object = "",
    slug: object = None,
    actor: Actor,
) -> EventSession:
    """Add a session by hand (no UID: an import never touches it)."""
    require_permission(actor.user, Permission.edit_content, "only editors may change the programme")
    values = _values(
        event, title=title, starts_at=starts_at, ends_at=ends_at, room=room, speakers=speakers, description=description
    )
    slug_s = _checked_slug(session, event, slug) if slug else _free_slug(session, event, values["title"])
    created = EventSession(event_id=event.id, slug=slug_s, uid=None, **values)
    created.event = event
    session.add(created)
    session.flush()
    record(session, "session.create", actor=actor, obj=created, details={"event": event.slug, "slug": slug_s})
    return created


def update_session(
    session: Session,
    event_session: EventSession,
    *,
    title: object = KEEP,
    starts_at: object = KEEP,
    ends_at: object = KEEP,
    room: object = KEEP,
    speakers: object = KEEP,
    description: object = KEEP,
    slug: object = KEEP,
    actor: Actor,
) -> list[str]:
    """Change a session (fields left at :data:`KEEP` stay); the names of the fields that changed."""
    require_permission(actor.user, Permission.edit_content, "only editors may change the programme")
    event = event_session.event
    values = _values(
        event,
        title=kept(title, event_session.title),
        starts_at=kept(starts_at, event_session.starts_at),
        ends_at=kept(ends_at, event_session.ends_at),
        room=kept(room, event_session.room),
        speakers=kept(speakers, event_session.speakers),
        description=kept(description, event_session.description),
    )
    if slug is not KEEP and slug != event_session.slug:
        values["slug"] = _checked_slug(session, event, slug, but=event_session)
    changes = apply_changes(event_session, values)
    if changes:
        record(
            session,
            "session.update",
            actor=actor,
            obj=event_session,
            details={"event": event.slug, "slug": event_session.slug, "changes": changes},
        )
    return sorted(changes)


def delete_session(session: Session, event_session: EventSession, *, actor: Actor) -> None:
    require_permission(actor.user, Permission.edit_content, "only editors may change the programme")
    record(
        session,
        "session.delete",
        actor=actor,
        obj=event_session,
        details={"event": event_session.event.slug, "slug": event_session.slug, "title": event_session.title},
    )
    session.delete(event_session)


def sessions_by_id(session: Session, ids: Sequence[int]) -> dict[int, EventSession]:
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(EventSession).where(EventSession.id.in_(ids)))}
