"""Hiding photos from everyone without the ``edit_content`` permission, and showing them again.

The visibility rule (:mod:`gallery.catalog.visibility`) reads ``Photo.hidden_reason``; these two
functions are the only writers of it (takedown requests, editors' decisions, the bulk tools and
"publish only after review" all call them), and each change is in the audit log.  A photo that
becomes hidden or shown again gets a new media version (:func:`gallery.photos.versions.retire_media`):
its old web-size URLs stop answering and the CDN is told, when the caller commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from gallery.core.audit import Actor, record
from gallery.models import HiddenReason, Photo, utcnow
from gallery.photos.versions import NO_PURGE, CdnPurge, retire_media
from gallery.storage import Storage


def hide_photos(
    session: Session,
    photos: Iterable[Photo],
    *,
    reason: HiddenReason,
    actor: Actor,
    storage: Storage,
    purge: CdnPurge = NO_PURGE,
) -> list[Photo]:
    """Hide ``photos`` for ``reason``; returns those whose state changed (a photo hidden already
    for the same reason is left as it is; one hidden for another reason takes the new one)."""
    changed: list[Photo] = []
    newly_hidden: list[Photo] = []
    for photo in photos:
        if photo.hidden_reason == reason:
            continue
        before = photo.hidden_reason
        if before is None:
            newly_hidden.append(photo)
        photo.hidden_reason = reason
        photo.hidden_at = utcnow()
        changed.append(photo)
        details = {"reason": reason.value, "album_id": photo.album_id, "sha256": photo.sha256}
        if before is not None:
            details["was"] = before.value
        record(session, "photo.hide", actor=actor, obj=photo, details=details)
    session.flush()
    # Only those that were shown: another reason for a hidden photo changes no URL.
    retire_media(session, newly_hidden, storage=storage, purge=purge)
    return changed


def unhide_photos(
    session: Session, photos: Iterable[Photo], *, actor: Actor, storage: Storage, purge: CdnPurge = NO_PURGE
) -> list[Photo]:
    """Show ``photos`` again wherever the rest of the rule allows; returns those that were hidden."""
    changed: list[Photo] = []
    for photo in photos:
        if photo.hidden_reason is None:
            continue
        was = photo.hidden_reason
        photo.hidden_reason = None
        photo.hidden_at = None
        changed.append(photo)
        record(session, "photo.unhide", actor=actor, obj=photo, details={"was": was.value, "album_id": photo.album_id})
    session.flush()
    retire_media(session, changed, storage=storage, purge=purge)
    return changed
