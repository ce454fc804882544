"""Events: create, read, list, change and delete, for the CLI, the API and the management pages; and
the field rules events, albums and reports share (slugs, text, dates, time zones).

Writing needs the editor permission (creation is the callers' to allow); validation errors name
their field; the commit is the caller's.  Albums are :mod:`gallery.catalog.albums`'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, event_filter
from gallery.core.audit import Actor, record
from gallery.core.changes import KEEP, apply_changes, kept
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.pages import DEFAULT_LIMIT, Page, SortKey, keyset_page
from gallery.core.permissions import Permission, require_permission
from gallery.models import Album, Event, Photo, max_length
from gallery.photos import clock

SLUG_MAX = 120
#: What :func:`make_slug` makes: lower-case letters and digits in words joined by single hyphens.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def validate_timezone(name: str) -> str:
    name = (name or "").strip()
    if not name or name not in _zones():
        hint = ""
        if name:
            lowered = name.lower()
            close = sorted(z for z in _zones() if lowered in z.lower())[:3]
            if close:
                hint = f" (did you mean {', '.join(close)}?)"
        raise ValidationError(f"{name!r} is not an IANA time zone such as Europe/Warsaw{hint}", field="timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not an IANA time zone such as Europe/Warsaw", field="timezone") from None
    return name


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def parse_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a date in the form YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{field}={value!r} is not a date in the form YYYY-MM-DD", field=field) from None


def make_slug(text: str, *, field: str = "slug") -> str:
    from slugify import slugify  # here, not with the module: its transliteration tables are 5 MB

    slug = slugify(text or "", max_length=SLUG_MAX, word_boundary=True, lowercase=True)
    if not slug:
        raise ValidationError("a slug needs at least one letter or digit", field=field)
    return slug


def validate_slug(slug: str) -> str:
    cleaned = make_slug(slug)
    if cleaned != slug:
        raise ValidationError(
            f"{slug!r} is not a valid slug: use lower-case letters, digits and hyphens (e.g. {cleaned!r})",
            field="slug",
        )
    return slug


def clean_text(value: object, field: str, *, max_length: int, required: bool = False) -> str:
    """Text as stored: NUL bytes dropped, stripped; :class:`ValidationError` naming ``field`` when it
    is not text, too long, or empty and ``required``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field)
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise ValidationError(f"{field} is required", field=field)
    if len(value) > max_length:
        raise ValidationError(f"{field} is too long (at most {max_length} characters)", field=field)
    return value


def first_free_slug(base: str, taken: Callable[[str], bool]) -> str:
    """``base``, or ``base-2``, ``base-3``, … (cut to fit ``SLUG_MAX``): the first one not ``taken``."""
    slug = base
    n = 2
    while taken(slug):
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)] + suffix
        n += 1
    return slug


def unique_slug(session: Session, model: type[Event] | type[Album], base: str) -> str:
    """The first slug from ``base`` that no ``model`` row has yet (see :func:`first_free_slug`)."""
    return first_free_slug(base, lambda slug: session.scalar(select(model.id).where(model.slug == slug)) is not None)


def get_event(session: Session, slug: str) -> Event:
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    return event


def _event_values(
    *, title: object, starts_on: object, ends_on: object, timezone: object, location: object, description: object
) -> dict[str, Any]:
    """An event's fields, validated (the same for creating and changing one)."""
    values: dict[str, Any] = {
        "title": clean_text(title, "title", max_length=max_length(Event.title), required=True),
        "starts_on": parse_date(starts_on, "starts_on"),
        "ends_on": parse_date(ends_on, "ends_on"),
        "location": clean_text(location, "location", max_length=max_length(Event.location)),
        "description": clean_text(description, "description", max_length=max_length(Event.description)),
    }
    if values["ends_on"] < values["starts_on"]:
        raise ValidationError("ends_on is before starts_on", field="ends_on")
    if not isinstance(timezone, str):
        raise ValidationError("timezone must be an IANA time zone name", field="timezone")
    values["timezone"] = validate_timezone(timezone)
    return values


def create_event(
    session: Session,
    *,
    title: object,
    starts_on: object,
    ends_on: object,
    timezone: object,
    location: object = "",
    description: object = "",
    slug: object = None,
    review_uploads: object = False,
    actor: Actor,
) -> Event:
    values = _event_values(
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=timezone,
        location=location,
        description=description,
    )
    if slug is not None and slug != "":
        if not isinstance(slug, str):
            raise ValidationError("slug must be text", field="slug")
        slug_s = validate_slug(slug)
        if session.scalar(select(Event.id).where(Event.slug == slug_s)) is not None:
            raise ConflictError(f"the event slug {slug_s!r} is taken", field="slug")
    else:
        slug_s = unique_slug(session, Event, make_slug(values["title"], field="title"))
    event = Event(slug=slug_s, review_uploads=_review_flag(review_uploads), **values)
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        raise ConflictError(f"the event slug {slug_s!r} is taken", field="slug") from None
    record(session, "event.create", actor=actor, obj=event, details={"slug": event.slug})
    return event


def _review_flag(value: object) -> bool:
    """ "Publish only after review": new uploads stay hidden until an editor releases them."""
    if not isinstance(value, bool):
        raise ValidationError("review_uploads must be true or false", field="review_uploads")
    return value


@dataclass(frozen=True)
class EventUpdate:
    changed: list[str]
    recomputed_photos: int  # capture times re-read in a new time zone


def update_event(
    session: Session,
    event: Event,
    *,
    title: object = KEEP,
    starts_on: object = KEEP,
    ends_on: object = KEEP,
    timezone: object = KEEP,
    location: object = KEEP,
    description: object = KEEP,
    review_uploads: object = KEEP,
    actor: Actor,
) -> EventUpdate:
    """Change an event (fields left at :data:`KEEP` stay as they are).  A new time zone re-reads
    the capture times that came without an offset (EXIF times are naive: they were read in the
    event's zone), keeping their wall time and any clock correction."""
    require_permission(actor.user, Permission.edit_content, "only editors may change events")
    values = _event_values(
        title=kept(title, event.title),
        starts_on=kept(starts_on, event.starts_on),
        ends_on=kept(ends_on, event.ends_on),
        timezone=kept(timezone, event.timezone),
        location=kept(location, event.location),
        description=kept(description, event.description),
    )
    values["review_uploads"] = _review_flag(kept(review_uploads, event.review_uploads))
    changes = apply_changes(event, values)
    recomputed = 0
    if "timezone" in changes:
        recomputed = clock.reread_naive_times(session, event, values["timezone"])
    if changes:
        record(
            session,
            "event.update",
            actor=actor,
            obj=event,
            details={"slug": event.slug, "changes": changes, "recomputed_photos": recomputed},
        )
    return EventUpdate(changed=sorted(changes), recomputed_photos=recomputed)


# --- lists and deletion (the JSON API) -------------------------------------------------------------

EVENT_ORDER = (SortKey(Event.starts_on, descending=True), SortKey(Event.id, descending=True))  # newest first


def visible_event(session: Session, slug: str, *, viewer: Viewer) -> Event:
    """The event ``slug`` if ``viewer`` may see it, else :class:`NotFoundError`."""
    event = session.scalar(select(Event).where(Event.slug == slug, event_filter(viewer)))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    return event


def list_events(
    session: Session,
    *,
    viewer: Viewer,
    since: date | None = None,
    until: date | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Event]:
    """The events ``viewer`` may see, newest first; ``since``/``until`` keep those that take
    place (at least partly) on or after / on or before that day."""
    if since is not None and until is not None and until < since:
        raise ValidationError("to is before from", field="to")
    query = select(Event).where(event_filter(viewer))
    if since is not None:
        query = query.where(Event.ends_on >= since)
    if until is not None:
        query = query.where(Event.starts_on <= until)
    return keyset_page(session, query, EVENT_ORDER, name="events", cursor=cursor, limit=limit)


def photo_count(session: Session, *conditions: ColumnElement[bool]) -> int:
    """Photos of the albums ``conditions`` select (in the bin too: they are restorable until
    ``gallery gc`` purges them)."""
    query = select(func.count(Photo.id)).join(Album, Album.id == Photo.album_id).where(*conditions)
    return int(session.scalar(query) or 0)


def not_empty(what: str, count: int) -> ConflictError:
    """The 409 for deleting an event or album that still holds ``count`` photos."""
    return ConflictError(
        f"{what} still holds {count} photo{'s' if count != 1 else ''} (photos in the bin count until "
        "`gallery gc` purges them): move or delete them first",
        code="not_empty",
    )


def delete_event(session: Session, slug: str, *, actor: Actor) -> None:
    """Delete an event that holds no photos, with its (empty) albums, its reports and its clock
    corrections (the schema's ON DELETE CASCADE); one that holds photos is a 409."""
    require_permission(actor.user, Permission.edit_content, "only editors may delete events")
    event = get_event(session, slug)
    count = photo_count(session, Album.event_id == event.id)
    if count:
        raise not_empty(f"the event {event.slug!r}", count)
    albums = list(session.scalars(select(Album.slug).where(Album.event_id == event.id).order_by(Album.id)))
    record(session, "event.delete", actor=actor, obj=event, details={"slug": event.slug, "albums": albums})
    session.execute(delete(Event).where(Event.id == event.id))
