"""Hiding photos from everyone without the ``edit_content`` permission, and showing them again.

The visibility rule (:mod:`gallery.catalog.visibility`) reads ``Photo.hidden_reason``; these two
functions are the only writers of it (takedown requests, editors' decisions, the bulk tools and
"publish only after review" all call them), and each change is in the audit log.  The caller
commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from gallery.core.audit import Actor, record
from gallery.models import HiddenReason, Photo, utcnow


def hide_photos(session: Session, photos: Iterable[Photo], *, reason: HiddenReason, actor: Actor) -> list[Photo]:
    """Hide ``photos`` for ``reason``; returns those whose state changed (a photo hidden already
    for the same reason is left as it is; one hidden for another reason takes the new one)."""
    changed: list[Photo] = []
    for photo in photos:
        if photo.hidden_reason == reason:
            continue
        before = photo.hidden_reason
        photo.hidden_reason = reason
        photo.hidden_at = utcnow()
        changed.append(photo)
        details = {"reason": reason.value, "album_id": photo.album_id, "sha256": photo.sha256}
        if before is not None:
            details["was"] = before.value
        record(session, "photo.hide", actor=actor, obj=photo, details=details)
    session.flush()
    return changed


def unhide_photos(session: Session, photos: Iterable[Photo], *, actor: Actor) -> list[Photo]:
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
    return changed
