"""Editing from the management pages (and the API's updates): events, albums (settings,
share link, manual order), photo rows, bulk changes, the deleted-photos bin and the camera
clock preview.  Reports are written in :mod:`gallery.reports.service`.

Every function takes the session and the acting user explicitly, checks the
object-level rules itself (photographers: their own uploads only; events
and albums: editors), validates its input (``ValidationError`` naming
the field), writes audit entries and leaves the commit to the caller.

Deleted photos stay in their album's bin, restorable, until ``gallery gc``
purges those deleted more than :data:`RETENTION` (30 days) ago.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from gallery.archive.gc import DEFAULT_RETENTION
from gallery.catalog import events as catalog
from gallery.core.audit import Actor, record
from gallery.core.changes import KEEP, apply_changes, kept
from gallery.core.errors import PermissionDenied, ValidationError
from gallery.core.permissions import Permission, has_permission
from gallery.models import (
    Album,
    Event,
    OriginalDownloads,
    Photo,
    SortMode,
    User,
    Visibility,
    max_length,
)
from gallery.photos import clock
from gallery.photos.order import beyond, decode_cursor, encode_cursor, ordered_photos, sort_values
from gallery.photos.service import (
    EDITABLE_TEXT,
    can_edit_photo,
    soft_delete,
    update_photo,
)

RETENTION = DEFAULT_RETENTION  # what `gallery gc` keeps deleted photos for, by default
TEXT_FIELDS = tuple(EDITABLE_TEXT)  # caption, alt_text, credit
MAX_BULK = 1000


def _require_editor(actor: Actor, what: str) -> None:
    if not has_permission(actor.user, Permission.edit_content):
        raise PermissionDenied(f"only editors may {what}")


# --- events -------------------------------------------------------------------------------------


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
    actor: Actor,
) -> EventUpdate:
    """Change an event (fields left at :data:`KEEP` stay as they are).  A new time zone re-reads
    the capture times that came without an offset (EXIF times are naive: they were read in the
    event's zone), keeping their wall time and any clock correction."""
    _require_editor(actor, "change events")
    timezone = kept(timezone, event.timezone)
    values: dict[str, Any] = {
        "title": catalog.clean_text(
            kept(title, event.title), "title", max_length=max_length(Event.title), required=True
        ),
        "starts_on": catalog.parse_date(kept(starts_on, event.starts_on), "starts_on"),
        "ends_on": catalog.parse_date(kept(ends_on, event.ends_on), "ends_on"),
        "location": catalog.clean_text(
            kept(location, event.location), "location", max_length=max_length(Event.location)
        ),
        "description": catalog.clean_text(
            kept(description, event.description), "description", max_length=max_length(Event.description)
        ),
    }
    if values["ends_on"] < values["starts_on"]:
        raise ValidationError("ends_on is before starts_on", field="ends_on")
    if not isinstance(timezone, str):
        raise ValidationError("timezone must be an IANA time zone name", field="timezone")
    values["timezone"] = catalog.validate_timezone(timezone)
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


# --- albums -------------------------------------------------------------------------------------


def event_albums(session: Session, event: Event) -> list[Album]:
    return list(session.scalars(select(Album).where(Album.event_id == event.id).order_by(Album.id)))


def update_album(
    session: Session,
    album: Album,
    *,
    title: object = KEEP,
    description: object = KEEP,
    visibility: object = KEEP,
    sort_mode: object = KEEP,
    original_downloads: object = KEEP,
    cover_photo_id: int | None = KEEP,
    actor: Actor,
) -> list[str]:
    """Change an album's settings (fields left at :data:`KEEP` stay as they are); returns the changed fields."""
    _require_editor(actor, "change albums")
    title, description = kept(title, album.title), kept(description, album.description)
    visibility, sort_mode = kept(visibility, album.visibility), kept(sort_mode, album.sort_mode)
    original_downloads = kept(original_downloads, album.original_downloads)
    cover_photo_id = album.cover_photo_id if cover_photo_id is KEEP else cover_photo_id
    try:
        vis = Visibility(visibility)
    except ValueError:
        raise ValidationError(f"visibility={visibility!r}: use public, unlisted or private", field="visibility") from None
    try:
        sort = SortMode(sort_mode)
    except ValueError:
        raise ValidationError(f"sort_mode={sort_mode!r}: use capture_time or manual", field="sort_mode") from None
    try:
        downloads = OriginalDownloads(original_downloads)
    except ValueError:
        raise ValidationError(
            f"original_downloads={original_downloads!r}: use off, without_location or exact", field="original_downloads"
        ) from None
    if cover_photo_id is not None:
        ok = session.scalar(
            select(Photo.id).where(Photo.id == cover_photo_id, Photo.album_id == album.id, Photo.deleted_at.is_(None))
        )
        if ok is None:
            raise ValidationError("the cover must be one of this album's photos", field="cover_photo_id")
    values = {
        "title": catalog.clean_text(title, "title", max_length=max_length(Album.title), required=True),
        "description": catalog.clean_text(description, "description", max_length=max_length(Album.description)),
        "visibility": vis,
        "sort_mode": sort,
        "original_downloads": downloads,
        "cover_photo_id": cover_photo_id,
    }
    changes = apply_changes(album, values)
    if album.share_token is None:
        album.share_token = catalog.new_share_token()
    if changes:
        details: dict[str, Any] = {"slug": album.slug, "changes": changes}
        if "original_downloads" in changes and downloads == OriginalDownloads.exact:
            details["warning"] = "originals with location data downloadable by everyone who can see the album"
        record(session, "album.update", actor=actor, obj=album, details=details)
    return sorted(changes)


def regenerate_share_token(session: Session, album: Album, *, actor: Actor) -> str:
    """A new share link; the old one stops working at once."""
    _require_editor(actor, "change share links")
    album.share_token = catalog.new_share_token()
    record(session, "album.share_token", actor=actor, obj=album, details={"slug": album.slug})
    return album.share_token


def cover_choices(session: Session, album: Album) -> list[tuple[int, str]]:
    """(photo id, label) for the album's photos, in display order: the cover picker."""
    rows = session.execute(
        ordered_photos(album, include_unready=False).with_only_columns(
            Photo.id, Photo.original_filename, Photo.caption
        )
    ).all()
    out = []
    for number, (photo_id, filename, caption) in enumerate(rows, start=1):
        label = f"{number}. {filename or photo_id}"
        if caption:
            label += " – " + (caption if len(caption) <= 60 else caption[:59] + "…")
        out.append((photo_id, label))
    return out


# --- manual order -------------------------------------------------------------------------------


def display_order(session: Session, album: Album) -> list[int]:
    """Ids of the album's photos (not deleted; any status) in display order."""
    return list(session.scalars(ordered_photos(album, include_unready=True).with_only_columns(Photo.id)))


def order_page(session: Session, album: Album, *, start: int, limit: int) -> tuple[list[Photo], int]:
    """Photos ``start`` … ``start + limit - 1`` (0-based) of the display order, with derivatives; and the total."""
    total = session.scalar(
        select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
    ) or 0
    query = (
        ordered_photos(album, include_unready=True)
        .options(selectinload(Photo.derivatives))
        .offset(max(0, start))
        .limit(limit)
    )
    return list(session.scalars(query)), int(total)


def reorder_block(session: Session, album: Album, ids: Sequence[int], *, start: int, actor: Actor) -> int:
    """Put ``ids`` (a page reordered by drag and drop) at 0-based place ``start``, in that
    order; every other photo keeps its relative order.  Switches the album to manual order."""
    _require_editor(actor, "reorder albums")
    current = display_order(session, album)
    known = set(current)
    if len(set(ids)) != len(ids):
        raise ValidationError("a photo is listed twice", field="order")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationError(f"photo {unknown[0]} is not in this album", field="order")
    if not 0 <= start <= len(current):
        raise ValidationError("start is outside the album", field="start")
    chosen = set(ids)
    rest = [i for i in current if i not in chosen]
    return _save_order(session, album, rest[:start] + list(ids) + rest[start:], actor=actor)


def reorder_moves(session: Session, album: Album, moves: Mapping[int, int], *, actor: Actor) -> int:
    """Move photos to new 1-based places (the number inputs of the order page): each photo
    whose number differs from its current place goes there, the others keep their relative
    order."""
    _require_editor(actor, "reorder albums")
    current = display_order(session, album)
    known = set(current)
    place = {photo_id: n for n, photo_id in enumerate(current, start=1)}
    for photo_id, number in moves.items():
        if photo_id not in known:
            raise ValidationError(f"photo {photo_id} is not in this album", field=f"position-{photo_id}")
        if not 1 <= number <= len(current):
            raise ValidationError(
                f"use a number from 1 to {len(current)}", field=f"position-{photo_id}"
            )
    moves = {photo_id: n for photo_id, n in moves.items() if place[photo_id] != n}  # only what the user changed
    rest = [i for i in current if i not in moves]
    for photo_id, number in sorted(moves.items(), key=lambda item: (item[1], place[item[0]])):
        rest.insert(number - 1, photo_id)
    return _save_order(session, album, rest, actor=actor)


def _save_order(session: Session, album: Album, order: list[int], *, actor: Actor) -> int:
    positions = dict(
        session.execute(
            select(Photo.id, Photo.position).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
        ).all()
    )
    changed = [{"id": pid, "position": n} for n, pid in enumerate(order) if positions.get(pid) != n]
    if changed:
        session.execute(update(Photo), changed)
    switched = album.sort_mode != SortMode.manual
    album.sort_mode = SortMode.manual
    if changed or switched:
        record(
            session,
            "album.reorder",
            actor=actor,
            obj=album,
            details={"slug": album.slug, "moved": len(changed), "switched_to_manual": switched},
        )
    return len(changed)


# --- the photo grid -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridPage:
    photos: list[Photo]
    total: int
    first_number: int  # 1-based number of the first photo on this page
    next_cursor: str | None
    own_only: bool  # a photographer: only their own uploads are listed


def grid_page(session: Session, album: Album, *, user: User | None, after: str | None, limit: int) -> GridPage:
    """A page of the album's photos for captioning, in display order (keyset: ``after`` is
    the cursor of the previous page's last photo).  Photographers get their own uploads only."""
    own_only = not has_permission(user, Permission.edit_content)
    query = ordered_photos(album, include_unready=True).options(
        selectinload(Photo.derivatives), selectinload(Photo.uploaded_by)
    )
    count = select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
    if own_only:
        uid = user.id if user is not None else -1
        query = query.where(Photo.uploaded_by_id == uid)
        count = count.where(Photo.uploaded_by_id == uid)
    number = 0
    if after:
        cursor = decode_cursor(album, after)
        query = query.where(beyond(album, cursor.key, forward=True))
        number = cursor.number
    rows: list[Photo] = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(album, rows[-1], number + len(rows)) if more and rows else None
    return GridPage(
        photos=rows,
        total=int(session.scalar(count) or 0),
        first_number=number + 1,
        next_cursor=next_cursor,
        own_only=own_only,
    )


def _normal(value: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; compare and store LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class RowEdit:
    """One row of the grid as submitted: the values, and the values the form was shown with."""

    photo_id: int
    values: dict[str, str]
    originals: dict[str, str | None]  # None: not sent (the single-photo endpoint may omit them)


@dataclass
class SaveResult:
    saved: list[int] = field(default_factory=list)
    unchanged: int = 0
    conflicts: dict[int, list[str]] = field(default_factory=dict)  # someone else changed these fields meanwhile
    missing: list[int] = field(default_factory=list)  # deleted or moved meanwhile
    errors: dict[int, dict[str, str]] = field(default_factory=dict)  # photo id → field → message

    @property
    def ok(self) -> bool:
        return not self.errors


def check_text(field_name: str, value: str) -> str | None:
    """The error message for a caption/alt text/credit value, or None."""
    limit = EDITABLE_TEXT[field_name]
    if len(value.replace("\x00", "").strip()) > limit:
        return f"too long: at most {limit} characters"
    return None


def save_rows(session: Session, album: Album | None, rows: Sequence[RowEdit], *, actor: Actor) -> SaveResult:
    """Save the changed rows of the grid (or one photo), all or nothing.

    A field counts as changed when its value differs from the one the form was shown with.
    A photo the user may not edit refuses the whole request (``PermissionDenied``); invalid
    values return errors and save nothing; a field someone else changed meanwhile is a
    conflict and that row is not saved (nothing is silently overwritten)."""
    result = SaveResult()
    ids = [r.photo_id for r in rows]
    if len(ids) > MAX_BULK:
        raise ValidationError(f"at most {MAX_BULK} photos at once", field="photo")
    photos = {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_(ids)))} if ids else {}
    pending: list[tuple[Photo, dict[str, str]]] = []
    for row in rows:
        photo = photos.get(row.photo_id)
        values = {k: _normal(v) for k, v in row.values.items() if k in TEXT_FIELDS}
        if photo is None or photo.deleted_at is not None or (album is not None and photo.album_id != album.id):
            if any(values.get(k) != _normal(row.originals.get(k) or "") for k in values):
                result.missing.append(row.photo_id)
            continue
        changed = {
            k: v
            for k, v in values.items()
            if (row.originals.get(k) is None and v != getattr(photo, k))
            or (row.originals.get(k) is not None and v != _normal(row.originals[k] or ""))
        }
        if not changed:
            result.unchanged += 1
            continue
        if not can_edit_photo(photo, actor.user):
            raise PermissionDenied("you may only edit photos you uploaded")
        errors = {k: msg for k, v in changed.items() if (msg := check_text(k, v)) is not None}
        if errors:
            result.errors[photo.id] = errors
            continue
        stale = [
            k
            for k in changed
            if row.originals.get(k) is not None
            and _normal(getattr(photo, k)) != _normal(row.originals[k] or "")
            and _normal(getattr(photo, k)) != changed[k].strip()
        ]
        if stale:
            result.conflicts[photo.id] = stale
            continue
        pending.append((photo, changed))
    if result.errors:
        return result
    for photo, changed in pending:
        update_photo(session, photo, dict(changed), actor=actor)
        result.saved.append(photo.id)
    return result


# --- bulk actions -------------------------------------------------------------------------------


def photos_in_album(session: Session, album: Album, ids: Iterable[int], *, deleted: bool = False) -> list[Photo]:
    """The photos among ``ids`` that are in ``album`` (deleted ones with ``deleted=True``)."""
    wanted = sorted(set(ids))
    if len(wanted) > MAX_BULK:
        raise ValidationError(f"select at most {MAX_BULK} photos at once", field="selected")
    if not wanted:
        return []
    query = select(Photo).where(Photo.id.in_(wanted), Photo.album_id == album.id)
    query = query.where(Photo.deleted_at.is_not(None) if deleted else Photo.deleted_at.is_(None))
    return list(session.scalars(query.order_by(Photo.id)))


def set_credit(session: Session, photos: Sequence[Photo], credit: object, *, actor: Actor) -> int:
    """The same credit on every photo (all must be editable by the user). Returns how many changed."""
    if not isinstance(credit, str):
        raise ValidationError("credit must be text", field="credit")
    value = credit.replace("\x00", "").strip()
    message = check_text("credit", value)
    if message:
        raise ValidationError(f"credit is {message}", field="credit")
    refused = [p.id for p in photos if not can_edit_photo(p, actor.user)]
    if refused:
        raise PermissionDenied("you may only edit photos you uploaded")
    changed = 0
    for photo in photos:
        if photo.credit != value:
            update_photo(session, photo, {"credit": value}, actor=actor)
            changed += 1
    return changed


@dataclass
class MoveResult:
    moved: list[int] = field(default_factory=list)
    duplicates: list[Photo] = field(default_factory=list)  # the target already has the same file


def move_photos(session: Session, photos: Sequence[Photo], target: Album, *, actor: Actor) -> MoveResult:
    """Move photos to another album.  A photo whose file (SHA-256) the target already has,
    even in its bin, is skipped and reported rather than duplicated."""
    _require_editor(actor, "move photos")
    result = MoveResult()
    if not photos:
        return result
    shas = {p.sha256 for p in photos}
    present = set(session.scalars(select(Photo.sha256).where(Photo.album_id == target.id, Photo.sha256.in_(shas))))
    for photo in photos:
        if photo.album_id == target.id:
            continue
        if photo.sha256 in present:
            result.duplicates.append(photo)
            continue
        source = photo.album
        if source.cover_photo_id == photo.id:
            source.cover_photo_id = None
        photo.album = target
        photo.position = None  # manual albums: after the ones already placed
        present.add(photo.sha256)
        record(
            session,
            "photo.move",
            actor=actor,
            obj=photo,
            details={"from": source.slug, "to": target.slug},
        )
        result.moved.append(photo.id)
    return result


def delete_photos(session: Session, photos: Sequence[Photo], *, actor: Actor) -> int:
    _require_editor(actor, "delete photos")
    for photo in photos:
        soft_delete(session, photo, actor=actor)
    return len(photos)


def deleted_photos(session: Session, album: Album) -> list[Photo]:
    return list(
        session.scalars(
            select(Photo)
            .where(Photo.album_id == album.id, Photo.deleted_at.is_not(None))
            .options(selectinload(Photo.derivatives))
            .order_by(Photo.deleted_at.desc(), Photo.id.desc())
        )
    )


def purge_due(photo: Photo) -> datetime | None:
    """When ``gallery gc`` (with its default retention) may purge this deleted photo."""
    return photo.deleted_at + RETENTION if photo.deleted_at else None


def restore_photos(session: Session, photos: Sequence[Photo], *, actor: Actor) -> int:
    """Take photos out of the bin (as long as ``gallery gc`` has not purged them)."""
    _require_editor(actor, "restore photos")
    restored = 0
    for photo in photos:
        if photo.deleted_at is None:
            continue
        record(
            session,
            "photo.restore",
            actor=actor,
            obj=photo,
            details={"album_id": photo.album_id, "deleted_at": photo.deleted_at.isoformat()},
        )
        photo.deleted_at = None
        restored += 1
    return restored


# --- camera clock preview -----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    photo_id: int
    filename: str
    affected: bool  # taken by the corrected camera
    before_number: int
    after_number: int
    before: datetime | None
    after: datetime | None


@dataclass(frozen=True)
class AlbumReorder:
    album: Album
    manual: bool  # manual order: the correction changes times, not the order
    rows: list[OrderRow | None]  # None: photos left out here ("…")
    affected: int
    moved: int  # photos whose place in the album changes


def clock_preview(
    session: Session, event: Event, camera: clock.Camera, total: timedelta, *, context: int = 2, max_rows: int = 400
) -> list[AlbumReorder]:
    """For each album with photos from ``camera``: its photos in order before and after
    the correction, the camera's photos interleaved with the others (the affected photos
    and ``context`` neighbours either side)."""
    camera = clock.resolve_camera(session, event, camera)
    changes = clock.preview(session, event, camera, total)
    if not changes:
        return []
    corrections = clock.corrections_for(session, event.id)
    after_by_id = {c.photo_id: c.after for c in changes}
    album_slugs = sorted({c.album_slug for c in changes})
    albums = list(session.scalars(select(Album).where(Album.slug.in_(album_slugs)).order_by(Album.id)))
    rows = session.execute(
        select(
            Photo.id, Photo.album_id, Photo.taken_at, Photo.original_filename, Photo.position, Photo.camera_serial
        ).where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None))
    ).all()
    out = []
    for album in albums:
        photos = [r for r in rows if r.album_id == album.id]
        affected: set[int] = set()
        after: dict[int, datetime | None] = {}
        for r in photos:
            new = r.taken_at
            if r.id in after_by_id:
                specific = (
                    not camera.serial
                    and r.camera_serial
                    and (camera.make, camera.model, r.camera_serial) in corrections
                )
                if not specific and after_by_id[r.id] is not None:
                    new = after_by_id[r.id]
                    affected.add(r.id)
            after[r.id] = new
        if not affected:
            continue
        manual = album.sort_mode == SortMode.manual

        def order_key(r: Any, taken: datetime | None, mode: SortMode = album.sort_mode) -> tuple[Any, ...]:
            return sort_values(mode, position=r.position, taken_at=taken, photo_id=r.id)

        before_order = sorted(photos, key=lambda r: order_key(r, r.taken_at))
        after_order = sorted(photos, key=lambda r: order_key(r, after[r.id]))
        before_number = {r.id: n for n, r in enumerate(before_order, start=1)}
        shown: set[int] = set()
        for index, r in enumerate(after_order):
            if r.id in affected:
                shown.update(range(max(0, index - context), min(len(after_order), index + context + 1)))
        listing: list[OrderRow | None] = []
        previous = -1
        for index in sorted(shown):
            if len(listing) >= max_rows:
                listing.append(None)
                break
            if index != previous + 1:
                listing.append(None)
            r = after_order[index]
            listing.append(
                OrderRow(
                    photo_id=r.id,
                    filename=r.original_filename,
                    affected=r.id in affected,
                    before_number=before_number[r.id],
                    after_number=index + 1,
                    before=r.taken_at,
                    after=after[r.id],
                )
            )
            previous = index
        if previous != len(after_order) - 1 and (not listing or listing[-1] is not None):
            listing.append(None)
        moved = sum(1 for n, r in enumerate(after_order, start=1) if before_number[r.id] != n)
        out.append(AlbumReorder(album=album, manual=manual, rows=listing, affected=len(affected), moved=moved))
    return out
