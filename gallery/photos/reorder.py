"""An album's manual order, as the order page edits it: the current order, a page of it, a block
moved by drag and drop, or photos moved to new numbers.  Saving switches the album to manual order.

The display order itself (and how manual positions sort) is :mod:`gallery.photos.order`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from gallery.core.audit import Actor, record
from gallery.core.errors import ValidationError
from gallery.core.permissions import Permission, require_permission
from gallery.models import Album, Photo, SortMode
from gallery.photos.order import ordered_photos


def display_order(session: Session, album: Album) -> list[int]:
    """Ids of the album's photos (not deleted; any status) in display order."""
    return list(session.scalars(ordered_photos(album, include_unready=True).with_only_columns(Photo.id)))


def order_page(session: Session, album: Album, *, start: int, limit: int) -> tuple[list[Photo], int]:
    """Photos ``start`` … ``start + limit - 1`` (0-based) of the display order, with derivatives; and the total."""
    total = (
        session.scalar(select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))) or 0
    )
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
    require_permission(actor.user, Permission.edit_content, "only editors may reorder albums")
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
    require_permission(actor.user, Permission.edit_content, "only editors may reorder albums")
    current = display_order(session, album)
    known = set(current)
    place = {photo_id: n for n, photo_id in enumerate(current, start=1)}
    for photo_id, number in moves.items():
        if photo_id not in known:
            raise ValidationError(f"photo {photo_id} is not in this album", field=f"position-{photo_id}")
        if not 1 <= number <= len(current):
            raise ValidationError(f"use a number from 1 to {len(current)}", field=f"position-{photo_id}")
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
