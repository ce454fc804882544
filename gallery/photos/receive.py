"""Receiving an upload: the one path every upload takes (the JSON API, the upload page,
``gallery import``, and any later way in, such as resumable or direct-to-store uploads).

The surface delivers a :class:`~gallery.photos.received.Received` file on local disk (spooled and
hashed) with the client's file name; :func:`receive` does the rest:

size limit (413) → not empty (400) → not an erased image (409 ``erased``, a tombstone) → an
Idempotency-Key replay, if one was given → ingest (type, pixels, decoding, metadata; 415/422, 503
when the decoders are busy; stores the original and commits the row) → bytes already in the album:
the existing photo (200), unless it was deleted (409: only the bin restores it), and one left
``processing`` is handed to the renderer again → the transaction ends → the derivative work is
handed over → the :class:`Receipt` says what the answer may show the uploader.

A 2xx answer built from a receipt means: the original is in storage under its content-addressed
key and the row is committed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, can_view_photo
from gallery.config import Settings
from gallery.consent.hiding import hide_photos
from gallery.consent.tombstones import refuse_erased
from gallery.core import metrics
from gallery.core.audit import Actor
from gallery.core.errors import EmptyFile, GalleryError, NotFoundError, PhotoDeleted, ValidationError
from gallery.models import Album, HiddenReason, IdempotencyKey, Photo, PhotoStatus, max_length
from gallery.photos.ingest import ingest
from gallery.photos.received import Received, check_size
from gallery.photos.stuck import restart_processing
from gallery.storage import Storage, StorageError

IDEMPOTENCY_KEY_MAX = max_length(IdempotencyKey.key)

DELETED_MESSAGE = (
    "this photo was deleted from the album {album!r}; uploading it again does not restore it: "
    "an editor can restore it from the album's bin (Deleted photos)"
)

DerivativeWork = Callable[[int], object]
"""Hands a photo id to the renderer: ``gallery.tasks.enqueue_derivatives``, or an in-process call."""


@dataclass(frozen=True)
class Receipt:
    """What an upload came to.  ``photo`` is read after the transaction ended and the derivative
    work was handed over (in-process rendering has finished by then)."""

    photo: Photo
    created: bool  # False: the same bytes were already in the album
    status_code: int  # 201 new, 200 already there (an Idempotency-Key replay repeats the first answer)
    may_show: bool  # whether the uploader may see the photo's details (else only restricted_answer())
    requeued: bool = False  # already there but still `processing`: its derivative work was handed over again

    def restricted_answer(self) -> dict[str, Any]:
        """All an uploader who may not see the photo is told: what they know or learn by uploading."""
        return {"id": self.photo.id, "sha256": self.photo.sha256, "status": self.photo.status.value}


@dataclass(frozen=True)
class IdempotencyKeyUse:
    """An upload sent with ``Idempotency-Key``: the same key (same user, album and bytes) gets the
    first answer again instead of a second upload."""

    user_id: int
    key: str

    def __post_init__(self) -> None:
        if len(self.key) > IDEMPOTENCY_KEY_MAX:
            raise ValidationError(
                f"Idempotency-Key is longer than {IDEMPOTENCY_KEY_MAX} characters", field="Idempotency-Key"
            )

    def replay(self, session: Session, album: Album, sha256: str) -> tuple[Photo, int] | None:
        """The photo and status code answered the first time, or None when there is nothing to
        repeat (a new key, or the photo was deleted or purged since: the upload path answers)."""
        entry = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.user_id == self.user_id, IdempotencyKey.key == self.key)
        )
        if entry is None:
            return None
        if entry.album_id != album.id or entry.sha256 != sha256:
            raise ValidationError(
                "this Idempotency-Key was already used for a different upload", field="Idempotency-Key"
            )
        photo = session.get(Photo, entry.photo_id)
        if photo is None or photo.deleted_at is not None:
            return None
        return photo, entry.status_code

    def remember(self, session: Session, *, album_id: int, photo_id: int, sha256: str, status_code: int) -> None:
        """Record the answer (commits); a concurrent request that recorded it first wins."""
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyKey(
                        user_id=self.user_id,
                        key=self.key,
                        album_id=album_id,
                        photo_id=photo_id,
                        sha256=sha256,
                        status_code=status_code,
                    )
                )
            session.commit()
        except IntegrityError:
            session.rollback()


def receive(
    session: Session,
    storage: Storage,
    received: Received,
    *,
    filename: str | None,
    album: Album,
    actor: Actor,
    settings: Settings,
    derivatives: DerivativeWork,
    idempotency: IdempotencyKeyUse | None = None,
    allow_raw: bool = False,
    texts: Mapping[str, Any] | None = None,
) -> Receipt:
    """Receive one uploaded file into ``album`` (see the module's docstring for the steps).

    Camera raw files are accepted when ``allow_raw`` (``gallery import --raw``) or the album
    accepts them (``Album.accepts_raw``).  ``texts`` (an XMP sidecar's caption, credit, keywords)
    replace what the file says, where not empty.

    ``received`` is removed when it is a temporary file (``owned``), whatever happens.  Raises
    :class:`~gallery.core.errors.GalleryError` subclasses (413 ``PayloadTooLarge``, 400 ``EmptyFile``,
    409 ``PhotoDeleted``, 415/422, 503 ``DecoderBusy``), after which no transaction is left open, or
    ``StorageError``; nothing is committed on an error."""
    try:
        album_id, album_slug = album.id, album.slug
        check_size(received.size, max_bytes=settings.max_upload_bytes)
        if received.size == 0:
            raise EmptyFile("the file is empty")
        refuse_erased(session, received.sha256)  # 409 `erased`: the image was erased site-wide
        if idempotency is not None:
            replayed = idempotency.replay(session, album, received.sha256)
            if replayed is not None:
                photo, status_code = replayed
                metrics.count_upload("duplicate")
                return Receipt(photo, False, status_code, may_show=_may_see(photo, actor))
        outcome = ingest(
            session,
            storage,
            album=album,
            received=received,
            filename=filename,
            actor=actor,
            max_pixels=settings.max_pixels,
            allow_raw=allow_raw or album.accepts_raw,
            texts=texts,
        )
        if outcome.created and album.event.review_uploads:
            # "Publish only after review": hidden until an editor releases it (the grid's "Show again").
            hide_photos(session, [outcome.photo], reason=HiddenReason.review, actor=actor, storage=storage)
            session.commit()
        requeued = False if outcome.created else _already_there(session, outcome.photo, album_slug)
        photo_id = outcome.photo.id
        status_code = 201 if outcome.created else 200
        session.rollback()  # end this transaction: the derivative work commits in its own
    except GalleryError:
        session.rollback()  # the caller may go on (the next file of a form): nothing half-done stays
        metrics.count_upload("rejected")
        raise
    except StorageError:
        metrics.count_upload("storage_error")
        raise
    except Exception:
        metrics.count_upload("error")
        raise
    finally:
        received.cleanup()
    if idempotency is not None:
        idempotency.remember(
            session, album_id=album_id, photo_id=photo_id, sha256=received.sha256, status_code=status_code
        )
    metrics.count_upload("created" if outcome.created else "duplicate")
    if outcome.created or requeued:
        derivatives(photo_id)
    stored = session.get(Photo, photo_id)
    if stored is None:  # purged in the meantime: what was received is gone again
        raise NotFoundError(f"no photo {photo_id}")
    return Receipt(stored, outcome.created, status_code, may_show=_may_see(stored, actor), requeued=requeued)


def _already_there(session: Session, photo: Photo, album_slug: str) -> bool:
    """The bytes are already in the album.  A deleted photo stays deleted: only the bin restores it
    (once the bin is purged, the bytes are new again).  One still ``processing`` may have lost its
    derivative work (a killed process): it is handed to the renderer again (the work is idempotent),
    so the answer is never a promise nobody keeps.  Returns whether it was."""
    if photo.deleted_at is not None:
        raise PhotoDeleted(DELETED_MESSAGE.format(album=album_slug))
    if photo.status != PhotoStatus.processing:
        return False
    photo_id = photo.id
    session.rollback()  # the write below starts its own transaction (SQLite: write-first)
    restart_processing(session, [photo_id])
    return True


def _may_see(photo: Photo, actor: Actor) -> bool:
    """Whether the answer may show the uploader the photo's details: when they may see it anyway
    (their own upload, or in an album they may open).  Otherwise the same bytes are someone else's
    photo, and the uploader is told only what they know (:meth:`Receipt.restricted_answer`)."""
    return can_view_photo(photo, Viewer.of(actor.user))
