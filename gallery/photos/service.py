"""Reading and editing photos: captions, position, deletion (what a viewer may see is
:mod:`gallery.catalog.visibility`'s)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, selectinload

from gallery.catalog.visibility import Viewer, can_view_photo, photo_state_filter
from gallery.core.audit import Actor, record
from gallery.core.errors import NotFoundError, PermissionDenied, ValidationError
from gallery.core.permissions import Permission, has_permission
from gallery.models import Album, Photo, User, max_length
from gallery.photos.order import ordered_photos

#: Text fields editors and uploaders change, with their limits (from the model columns).
EDITABLE_TEXT = {name: max_length(getattr(Photo, name)) or 0 for name in ("caption", "alt_text", "credit")}


def list_photos(session: Session, album: Album, *, include_unready: bool, viewer: Viewer | None = None) -> list[Photo]:
    """The album's photos in display order; with ``viewer``, only those the rule lets them see
    (a hidden photo only for those who edit content)."""
    query = ordered_photos(album, include_unready=include_unready).options(selectinload(Photo.derivatives))
    if viewer is not None:
        query = query.where(photo_state_filter(viewer))
    return list(session.scalars(query))


def get_photo(session: Session, photo_id: int, *, viewer: Viewer) -> Photo:
    """The photo, if ``viewer`` may see it (:func:`gallery.catalog.visibility.can_view_photo`);
    else :class:`NotFoundError`."""
    if not 0 < photo_id < 2**31:
        raise NotFoundError(f"no photo {photo_id}")
    photo = session.get(Photo, photo_id, options=[selectinload(Photo.derivatives), selectinload(Photo.album)])
    if photo is None or not can_view_photo(photo, viewer):
        raise NotFoundError(f"no photo {photo_id}")
    return photo


def can_edit_photo(photo: Photo, user: User | None) -> bool:
    if has_permission(user, Permission.edit_content):
        return True
    return has_permission(user, Permission.caption_own) and user is not None and photo.uploaded_by_id == user.id


def update_photo(session: Session, photo: Photo, changes: dict[str, Any], *, actor: Actor) -> Photo:
    if not can_edit_photo(photo, actor.user):
        raise PermissionDenied("you may only edit photos you uploaded")
    allowed = set(EDITABLE_TEXT) | {"position"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(f"unknown or read-only field(s): {', '.join(unknown)}", field=unknown[0])
    before: dict[str, Any] = {}
    for field, limit in EDITABLE_TEXT.items():
        if field not in changes:
            continue
        value = changes[field]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationError(f"{field} must be text", field=field)
        value = value.replace("\x00", "").strip()
        if len(value) > limit:
            raise ValidationError(f"{field} is too long (at most {limit} characters)", field=field)
        before[field] = getattr(photo, field)
        setattr(photo, field, value)
    if "position" in changes:
        value = changes["position"]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1_000_000):
            raise ValidationError("position must be a whole number from 0 to 1000000, or null", field="position")
        before["position"] = photo.position
        photo.position = value
    record(session, "photo.update", actor=actor, obj=photo, details={"fields": sorted(changes), "before": before})
    return photo


def soft_delete(session: Session, photo: Photo, *, actor: Actor) -> None:
    if not has_permission(actor.user, Permission.edit_content):
        raise PermissionDenied("only editors may delete photos")
    photo.deleted_at = datetime.now(UTC)
    record(session, "photo.delete", actor=actor, obj=photo, details={"album_id": photo.album_id})
