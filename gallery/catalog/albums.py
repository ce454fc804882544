"""Albums: create, read, list, change (settings, cover, share link) and delete, for the CLI, the
API and the management pages.

Every function takes the session (and, when it writes, the audit actor) explicitly; writing needs
the editor permission; validation errors name their field; the commit is the caller's.  The text
and slug rules are :mod:`gallery.catalog.events`' (shared by events and albums); what a viewer may
see is :mod:`gallery.catalog.visibility`'s; display order is :mod:`gallery.photos.order`'s."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.catalog.events import (
    clean_text,
    make_slug,
    not_empty,
    photo_count,
    unique_slug,
    validate_slug,
    visible_event,
)
from gallery.catalog.visibility import Viewer, listed_album_filter
from gallery.core.audit import Actor, record
from gallery.core.changes import KEEP, apply_changes, kept
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.pages import DEFAULT_LIMIT, Page, SortKey, keyset_page
from gallery.core.permissions import Permission, require_permission
from gallery.models import Album, Event, OriginalDownloads, Photo, SortMode, Visibility, max_length
from gallery.photos.order import ordered_photos
from gallery.photos.versions import NO_PURGE, CdnPurge, retire_album_media
from gallery.storage import Storage

ALBUM_ORDER = (SortKey(Album.id),)  # as the event page lists them
COVER_CAPTION_MAX = 60  # characters of a caption in the cover picker's labels


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


def get_album(session: Session, slug: str) -> Album:
    album = session.scalar(select(Album).where(Album.slug == slug))
    if album is None:
        raise NotFoundError(f"no album {slug!r}")
    return album


def event_albums(session: Session, event: Event) -> list[Album]:
    """Every album of ``event`` (whatever its visibility), in the order the event page lists them."""
    return list(session.scalars(select(Album).where(Album.event_id == event.id).order_by(Album.id)))


def _settings(visibility: object, sort_mode: object, original_downloads: object) -> dict[str, Any]:
    """An album's choices, validated: who sees it, its order, and what downloading an original gives."""
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
    return {"visibility": vis, "sort_mode": sort, "original_downloads": downloads}


def _texts(title: object, description: object) -> dict[str, str]:
    return {
        "title": clean_text(title, "title", max_length=max_length(Album.title), required=True),
        "description": clean_text(description, "description", max_length=max_length(Album.description)),
    }


def _flag(value: object, field: str) -> bool:
    """A yes/no setting (``accepts_raw``: uploads may be camera raw files)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be true or false", field=field)
    return value


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
    accepts_raw: object = False,
    actor: Actor,
) -> Album:
    texts = _texts(title, description)
    settings = _settings(visibility, sort_mode, original_downloads)
    if slug is not None and slug != "":
        if not isinstance(slug, str):
            raise ValidationError("slug must be text", field="slug")
        slug_s = validate_slug(slug)
        if session.scalar(select(Album.id).where(Album.slug == slug_s)) is not None:
            raise ConflictError(f"the album slug {slug_s!r} is taken", field="slug")
    else:
        slug_s = unique_slug(session, Album, make_slug(texts["title"], field="title"))
    album = Album(
        event_id=event.id,
        slug=slug_s,
        **texts,
        **settings,
        accepts_raw=_flag(accepts_raw, "accepts_raw"),
        share_token=new_share_token(),
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
        details={"slug": album.slug, "event": event.slug, "visibility": album.visibility.value},
    )
    return album


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
    accepts_raw: object = KEEP,
    actor: Actor,
    storage: Storage | None = None,
    purge: CdnPurge = NO_PURGE,
) -> list[str]:
    """Change an album's settings (fields left at :data:`KEEP` stay as they are); returns the changed fields.

    An album that stops being public gets new media versions for all its photos
    (:func:`gallery.photos.versions.retire_album_media`): the URLs handed out while it was public --
    cached by browsers and CDNs, kept by anyone -- stop answering, and the CDN is told when the
    caller commits.  That needs ``storage`` (and ``purge``)."""
    require_permission(actor.user, Permission.edit_content, "only editors may change albums")
    was_public = album.visibility == Visibility.public
    settings = _settings(
        kept(visibility, album.visibility),
        kept(sort_mode, album.sort_mode),
        kept(original_downloads, album.original_downloads),
    )
    cover_photo_id = album.cover_photo_id if cover_photo_id is KEEP else cover_photo_id
    if cover_photo_id is not None:
        ok = session.scalar(
            select(Photo.id).where(Photo.id == cover_photo_id, Photo.album_id == album.id, Photo.deleted_at.is_(None))
        )
        if ok is None:
            raise ValidationError("the cover must be one of this album's photos", field="cover_photo_id")
    values = {
        **_texts(kept(title, album.title), kept(description, album.description)),
        **settings,
        "cover_photo_id": cover_photo_id,
        "accepts_raw": _flag(kept(accepts_raw, album.accepts_raw), "accepts_raw"),
    }
    changes = apply_changes(album, values)
    if album.share_token is None:
        album.share_token = new_share_token()
    if changes:
        details: dict[str, Any] = {"slug": album.slug, "changes": changes}
        if "original_downloads" in changes and settings["original_downloads"] == OriginalDownloads.exact:
            details["warning"] = "originals with location data downloadable by everyone who can see the album"
        record(session, "album.update", actor=actor, obj=album, details=details)
    if was_public and album.visibility != Visibility.public:
        if storage is None:
            raise TypeError("update_album needs the store to retire the media of an album that stops being public")
        retire_album_media(session, album, storage=storage, purge=purge)
    return sorted(changes)


def regenerate_share_token(session: Session, album: Album, *, actor: Actor) -> str:
    """A new share link; the old one stops working at once."""
    require_permission(actor.user, Permission.edit_content, "only editors may change share links")
    album.share_token = new_share_token()
    record(session, "album.share_token", actor=actor, obj=album, details={"slug": album.slug})
    return album.share_token


def cover_choices(session: Session, album: Album) -> list[tuple[int, str]]:
    """(photo id, label) for the album's photos, in display order: the cover picker."""
    rows = session.execute(
        ordered_photos(album, include_unready=False).with_only_columns(Photo.id, Photo.original_filename, Photo.caption)
    ).all()
    out = []
    for number, (photo_id, filename, caption) in enumerate(rows, start=1):
        label = f"{number}. {filename or photo_id}"
        if caption:
            short = caption if len(caption) <= COVER_CAPTION_MAX else caption[: COVER_CAPTION_MAX - 1] + "…"
            label += " – " + short
        out.append((photo_id, label))
    return out


# --- lists and deletion (the JSON API) -------------------------------------------------------------


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


def delete_album(session: Session, slug: str, *, actor: Actor) -> None:
    """Delete an album that holds no photos (its report links go with it); else a 409."""
    require_permission(actor.user, Permission.edit_content, "only editors may delete albums")
    album = get_album(session, slug)
    count = photo_count(session, Photo.album_id == album.id)
    if count:
        raise not_empty(f"the album {album.slug!r}", count)
    record(session, "album.delete", actor=actor, obj=album, details={"slug": album.slug, "event": album.event.slug})
    session.execute(delete(Album).where(Album.id == album.id))
