"""Editing photos from the management pages: the captioning grid (a page of the album's photos,
and saving the rows changed in it), and the bulk actions on selected photos (one credit for all,
moving them to another album).  Deleting and restoring photos is :mod:`gallery.photos.deletion`'s;
an album's manual order :mod:`gallery.photos.reorder`'s.

Every function takes the session and the acting user explicitly, checks the object-level rules
itself (photographers: their own uploads only; moving: editors), validates its input
(``ValidationError`` naming the field), writes audit entries and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gallery.catalog.visibility import Viewer, photo_state_filter
from gallery.core.audit import Actor, record
from gallery.core.errors import PermissionDenied, ValidationError
from gallery.core.permissions import Permission, has_permission, require_permission
from gallery.models import Album, Photo, User
from gallery.photos.order import beyond, decode_cursor, encode_cursor, ordered_photos
from gallery.photos.service import EDITABLE_TEXT, can_edit_photo, update_photo

TEXT_FIELDS = tuple(EDITABLE_TEXT)  # caption, alt_text, credit
MAX_BULK = 1000


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
    the cursor of the previous page's last photo).  Photographers get their own uploads only
    (not those hidden by a takedown or an editor)."""
    own_only = not has_permission(user, Permission.edit_content)
    query = ordered_photos(album, include_unready=True).options(
        selectinload(Photo.derivatives), selectinload(Photo.uploaded_by)
    )
    count = select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
    if own_only:
        uid = user.id if user is not None else -1
        # Their own uploads, as the rule shows them to them: not a hidden one (editors only).
        theirs = (Photo.uploaded_by_id == uid, photo_state_filter(Viewer.of(user)))
        query = query.where(*theirs)
        count = count.where(*theirs)
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
    require_permission(actor.user, Permission.edit_content, "only editors may move photos")
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
