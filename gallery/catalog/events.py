"""Events and albums: creation and validation shared by the CLI, API and management pages."""

from __future__ import annotations

import secrets
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from slugify import slugify
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, event_filter, listed_album_filter
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.pages import DEFAULT_LIMIT, Page, SortKey, keyset_page
from gallery.core.permissions import Permission, require_permission
from gallery.models import (
    Album,
    Event,
    OriginalDownloads,
    Photo,
    SortMode,
    Visibility,
    max_length,
)

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


def _text(value: object, field: str, *, max_length: int, required: bool = False) -> str:
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


# The text rule above, for the other services (management pages).
clean_text = _text


def _unique_slug(session: Session, model: type[Event] | type[Album], base: str) -> str:
    slug = base
    n = 2
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)] + suffix
        n += 1
    return slug


def get_event(session: Session, slug: str) -> Event:
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    return event


def get_album(session: Session, slug: str) -> Album:
    album = session.scalar(select(Album).where(Album.slug == slug))
    if album is None:
        raise NotFoundError(f"no album {slug!r}")
    return album


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
    actor: Actor,
) -> Event:
    title_s = _text(title, "title", max_length=max_length(Event.title), required=True)
    start = parse_date(starts_on, "starts_on")
    end = parse_date(ends_on, "ends_on")
    if end < start:
        raise ValidationError("ends_on is before starts_on", field="ends_on")
    if not isinstance(timezone, str):
        raise ValidationError("timezone must be an IANA time zone name", field="timezone")
    tz = validate_timezone(timezone)
    if slug is not None and slug != "":
        if not isinstance(slug, str):
            raise ValidationError("slug must be text", field="slug")
        slug_s = validate_slug(slug)
        if session.scalar(select(Event.id).where(Event.slug == slug_s)) is not None:
            raise ConflictError(f"the event slug {slug_s!r} is taken", field="slug")
    else:
        slug_s = _unique_slug(session, Event, make_slug(title_s, field="title"))
    event = Event(
        slug=slug_s,
        title=title_s,
        starts_on=start,
        ends_on=end,
        timezone=tz,
        location=_text(location, "location", max_length=max_length(Event.location)),
        description=_text(description, "description", max_length=max_length(Event.description)),
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        raise ConflictError(f"the event slug {slug_s!r} is taken", field="slug") from None
    record(session, "event.create", actor=actor, obj=event, details={"slug": event.slug})
    return event


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


def create_album(
    session: Session,
    *,
    event: Event,
    title: object,
    slug: object = None,
    visibility: object = "public",
    description: object = "",
    sort_mode: object = "capture_time",
    original_downloads: object = "off",
    actor: Actor,
) -> Album:
    title_s = _text(title, "title", max_length=max_length(Album.title), required=True)
    try:
        vis = Visibility(visibility)
    except ValueError:
        raise ValidationError(
            f"visibility={visibility!r}: use public, unlisted or private", field="visibility"
        ) from None
    try:
        sort = SortMode(sort_mode)
    except ValueError:
        raise ValidationError(f"sort_mode={sort_mode!r}: use capture_time or manual", field="sort_mode") from None
    try:
        downloads = OriginalDownloads(original_downloads)
    except ValueError:
        raise ValidationError(
            f"original_downloads={original_downloads!r}: use off, without_location or exact",
            field="original_downloads",
        ) from None
    if slug is not None and slug != "":
        if not isinstance(slug, str):
            raise ValidationError("slug must be text", field="slug")
        slug_s = validate_slug(slug)
        if session.scalar(select(Album.id).where(Album.slug == slug_s)) is not None:
            raise ConflictError(f"the album slug {slug_s!r} is taken", field="slug")
    else:
        slug_s = _unique_slug(session, Album, make_slug(title_s, field="title"))
    album = Album(
        event_id=event.id,
        slug=slug_s,
        title=title_s,
        description=_text(description, "description", max_length=max_length(Album.description)),
        visibility=vis,
        share_token=new_share_token(),
        sort_mode=sort,
        original_downloads=downloads,
        created_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(album)
    except IntegrityError:
        raise ConflictError(f"the album slug {slug_s!r} is taken", field="slug") from None
    record(
        session,
        "album.create",
        actor=actor,
        obj=album,
        details={"slug": album.slug, "event": event.slug, "visibility": vis.value},
    )
    return album


# --- lists and deletion (the JSON API) -------------------------------------------------------------

EVENT_ORDER = (SortKey(Event.starts_on, descending=True), SortKey(Event.id, descending=True))  # newest first
ALBUM_ORDER = (SortKey(Album.id),)  # as the event page lists them


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


def list_albums(
    session: Session,
    event_slug: str,
    *,
    viewer: Viewer,
    visibility: Visibility | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Album]:
    """The albums of the event ``event_slug`` listed to ``viewer`` (never unlisted ones to
    visitors), optionally only those of one visibility; 404 when the viewer may not see the event."""
    event = visible_event(session, event_slug, viewer=viewer)
    query = select(Album).where(Album.event_id == event.id, listed_album_filter(viewer))
    if visibility is not None:
        query = query.where(Album.visibility == Visibility(visibility))
    return keyset_page(session, query, ALBUM_ORDER, name=f"albums:{event.id}", cursor=cursor, limit=limit)


def _photo_count(session: Session, *conditions: ColumnElement[bool]) -> int:
    """Photos (in the bin too: they are restorable until ``gallery gc`` purges them)."""
    query = select(func.count(Photo.id)).join(Album, Album.id == Photo.album_id).where(*conditions)
    return int(session.scalar(query) or 0)


def _still_holds(what: str, count: int) -> ConflictError:
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
    count = _photo_count(session, Album.event_id == event.id)
    if count:
        raise _still_holds(f"the event {event.slug!r}", count)
    albums = list(session.scalars(select(Album.slug).where(Album.event_id == event.id).order_by(Album.id)))
    record(session, "event.delete", actor=actor, obj=event, details={"slug": event.slug, "albums": albums})
    session.execute(delete(Event).where(Event.id == event.id))


def delete_album(session: Session, slug: str, *, actor: Actor) -> None:
    """Delete an album that holds no photos (its report links go with it); else a 409."""
    require_permission(actor.user, Permission.edit_content, "only editors may delete albums")
    album = get_album(session, slug)
    count = _photo_count(session, Photo.album_id == album.id)
    if count:
        raise _still_holds(f"the album {album.slug!r}", count)
    record(session, "album.delete", actor=actor, obj=album, details={"slug": album.slug, "event": album.event.slug})
    session.execute(delete(Album).where(Album.id == album.id))
