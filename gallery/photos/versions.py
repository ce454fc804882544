"""Media versions: a photo's web sizes live under a version that changes when they must stop answering.

Derivative keys are ``derivatives/<sha256>/<media_version>/<width>.<ext>``
(:func:`gallery.media.derivatives.derivative_key`).  ``Photo.media_version`` is 64 random bits, its
own for every photo row -- two rows holding the same bytes in different albums never share
derivative objects, so retiring one never touches the other.

:func:`retire_media` gives photos a new version: their derivatives are copied to the new keys (the
same bytes; nothing is decoded again) and the rows point at them.  When the caller **commits**, the
old objects are deleted (each only when no row still refers to it) and, with
``GALLERY_CDN_PURGE_URL``, their old public URLs are POSTed there as ``{"urls": [...]}`` so a CDN
drops what it cached.  On rollback nothing is deleted (the copies become untracked objects for
``gallery gc``).  Every old URL -- on the app, on the CDN or public bucket, in a browser's history --
then answers 404.  It is called on hide and restore (:mod:`gallery.consent.hiding`), on blurring
(:func:`replace_derivatives`, with new renders) and when an album stops being public
(:func:`retire_album_media`).

A failed purge (endpoint down, non-2xx) is logged and never breaks the request: the objects are
gone from the store either way, and the purge is only about caches in front of it."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gallery.media.derivatives import derivative_key
from gallery.models import Album, Derivative, Photo, PhotoStatus, new_media_version
from gallery.storage import NotFound, Storage, StorageError, sha256_hex

log = logging.getLogger("gallery.versions")

_PENDING = "gallery.retired_media"  # session.info key: what to delete after the commit
PURGE_TIMEOUT = 5.0
PURGE_BATCH = 500


@dataclass(frozen=True)
class CdnPurge:
    """Where to tell a CDN that URLs are gone: ``endpoint`` (``GALLERY_CDN_PURGE_URL``; None: no
    purge) and the public URL prefixes a derivative's key is appended to (the app's own
    ``<base>/media/`` and the CDN or public bucket's base, built by the views)."""

    endpoint: str | None
    url_prefixes: tuple[str, ...] = ()
    timeout: float = PURGE_TIMEOUT

    def urls(self, keys: Iterable[str]) -> list[str]:
        return [prefix + key for key in keys for prefix in self.url_prefixes]

    def send(self, keys: Sequence[str]) -> int:
        """POST the old URLs of ``keys``; returns how many were sent (0 when there is no endpoint or
        it failed -- which is logged, never raised)."""
        urls = self.urls(keys)
        if not self.endpoint or not urls:
            return 0
        sent = 0
        for start in range(0, len(urls), PURGE_BATCH):
            batch = urls[start : start + PURGE_BATCH]
            body = json.dumps({"urls": batch}).encode()
            request = urllib.request.Request(
                self.endpoint, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
            except Exception as exc:  # noqa: BLE001 - any failure of the hook is logged, never the request's
                log.error("CDN purge of %d URLs at %s failed: %s", len(batch), self.endpoint, exc)
                continue
            sent += len(batch)
        return sent


NO_PURGE = CdnPurge(None)


@dataclass
class _Pending:
    storage: Storage
    purge: CdnPurge
    keys: list[str] = field(default_factory=list)


def _after_commit(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    for item in pending:
        for key in item.keys:
            try:
                item.storage.delete(key)
            except StorageError as exc:  # left for gallery gc (untracked now)
                log.error("could not delete the retired derivative %s: %s", key, exc)
        item.purge.send(item.keys)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _delete_after_commit(session: Session, storage: Storage, keys: list[str], purge: CdnPurge) -> None:
    """Delete ``keys`` from ``storage`` and purge their URLs once the session commits."""
    if not keys:
        return
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    session.info.setdefault(_PENDING, []).append(_Pending(storage, purge, list(keys)))


def _unshared(session: Session, keys: list[str], photo_ids: set[int]) -> list[str]:
    """Those of ``keys`` that no derivative row outside ``photo_ids`` refers to."""
    if not keys:
        return []
    shared = set(
        session.scalars(select(Derivative.key).where(Derivative.key.in_(keys), Derivative.photo_id.not_in(photo_ids)))
    )
    return [key for key in keys if key not in shared]


def _copy(storage: Storage, old: str, new: str) -> None:
    with storage.open(old) as handle:
        data = handle.read()
    content_type = "image/webp" if new.endswith(".webp") else "image/jpeg"
    storage.put(new, BytesIO(data), sha256=sha256_hex(data), content_type=content_type, size=len(data))


def retire_media(
    session: Session, photos: Iterable[Photo], *, storage: Storage, purge: CdnPurge = NO_PURGE
) -> list[str]:
    """Give every photo a new media version, its derivatives copied to the new keys; the old
    objects are deleted (and purged) when the caller commits.  Returns the old keys.

    A derivative whose object is already missing stays missing under its new key (logged;
    ``gallery reprocess --all`` renders it again).  A photo still being processed just changes
    version: its render notices and stores under the new one."""
    retired: list[str] = []
    touched: set[int] = set()
    for photo in photos:
        touched.add(photo.id)
        version = new_media_version()
        for derivative in list(photo.derivatives):
            old = derivative.key
            new = derivative_key(photo.sha256, version, derivative.width, derivative.format)
            try:
                _copy(storage, old, new)
            except NotFound:  # missing before, missing after: `gallery reprocess --all` renders it again
                log.warning("photo %s: derivative %s is missing from the store", photo.id, old)
            else:
                retired.append(old)
            derivative.key = new
        photo.media_version = version
    session.flush()
    _delete_after_commit(session, storage, _unshared(session, retired, touched), purge)
    return retired


def replace_derivatives(
    session: Session,
    photo: Photo,
    rows: list[Derivative],
    version: str,
    *,
    storage: Storage,
    purge: CdnPurge = NO_PURGE,
) -> list[str]:
    """Put freshly rendered derivative ``rows`` (stored under ``version``) in place of the photo's
    current ones; the old objects are deleted (and purged) when the caller commits.  Returns the
    old keys."""
    old = [d.key for d in photo.derivatives]
    photo.derivatives.clear()
    session.flush()  # the old rows go before the new ones take their (photo, format, width)
    photo.derivatives.extend(rows)
    photo.media_version = version
    photo.status = PhotoStatus.ready
    photo.error = None
    session.flush()
    _delete_after_commit(
        session, storage, _unshared(session, [k for k in old if k not in {r.key for r in rows}], {photo.id}), purge
    )
    return old


def retire_album_media(session: Session, album: Album, *, storage: Storage, purge: CdnPurge = NO_PURGE) -> list[str]:
    """Retire the media of every photo of ``album`` (also those in the bin): called when the album
    stops being public, so that URLs handed out while it was public stop answering."""
    photos = session.scalars(select(Photo).where(Photo.album_id == album.id).order_by(Photo.id))
    return retire_media(session, list(photos), storage=storage, purge=purge)
