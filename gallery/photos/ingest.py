"""Storing one received file as a photo: inspect the bytes, store the original, commit the row.

validate (type from bytes, pixel limit, decodes) → read the metadata → store the original
(checksum verified by the store) → commit the row.  Uploads reach this through
:func:`gallery.photos.receive.receive`, which adds the checks before it, the answer for bytes
that are already there (deleted, still processing) and the derivative work after it.

The same bytes in the same album give the existing row (deleted or not), also when two
identical uploads race (the unique constraint decides)."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.accounts.profile import default_credit
from gallery.core.audit import Actor, record
from gallery.core.errors import DecoderBusy, UnprocessableImage, UnsupportedMediaType
from gallery.media import budget, images, raw_sniff, sniff
from gallery.media import raw as raw_images
from gallery.media.derivatives import original_key
from gallery.media.metadata.camera import camera_info
from gallery.media.metadata.captions import extract_captions, read_iptc
from gallery.media.metadata.capture_time import apply_clock_offset, capture_time
from gallery.media.metadata.gps import gps
from gallery.media.metadata.reading import read_metadata
from gallery.models import Album, Photo, PhotoStatus, TakenAtSource, max_length
from gallery.photos import clock, first_decode
from gallery.photos.capture import offset_minutes
from gallery.photos.received import Received
from gallery.storage import NotFound, Storage

log = logging.getLogger("gallery.ingest")

EXIF_TIME_BUDGET = 2.0
FILENAME_MAX = 255
CREDIT_MAX = max_length(Photo.credit)


@dataclass(frozen=True)
class IngestOutcome:
    photo: Photo
    created: bool  # False: the same bytes were already in the album (the row may be deleted)


@dataclass(frozen=True)
class _Probed:
    width: int  # upright
    height: int
    orientation: int


@dataclass(frozen=True)
class Inspection:
    """Everything learnt from the bytes before anything is stored."""

    kind: str
    mime: str
    width: int
    height: int
    values: dict[str, Any]


def clean_filename(name: str | None) -> str:
    """The client's file name, kept only as a label (never as a key or a path)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:FILENAME_MAX]


def _probe_raw(received: Received, *, max_pixels: int) -> _Probed:
    """A camera raw file's upright size and orientation (decoding waits for the derivatives)."""
    try:
        found = raw_images.probe_raw(received.path, max_pixels=max_pixels)
    except images.TooManyPixels as exc:
        raise UnprocessableImage(str(exc), code="too_many_pixels") from None
    except images.UndecodableImage as exc:
        raise UnprocessableImage(str(exc), code="undecodable_image") from None
    return _Probed(found.width, found.height, found.orientation)


def _probe_and_decode(received: Received, kind: str, *, max_pixels: int) -> tuple[_Probed, dict[Any, Any] | None]:
    """The header's size and orientation, after one decoding at the smallest DCT scale proves
    the pixels are all there; a JPEG's IPTC block too."""
    formats = sniff.PILLOW_FORMATS[kind]
    iptc: dict[Any, Any] | None = None
    with received.path.open("rb") as handle:
        try:
            info = images.probe(handle, formats=formats, max_pixels=max_pixels)
        except images.TooManyPixels as exc:
            raise UnprocessableImage(str(exc), code="too_many_pixels") from None
        except images.UndecodableImage as exc:
            raise UnprocessableImage(str(exc), code="undecodable_image") from None
    with received.path.open("rb") as handle:
        try:
            img = images.open_image(handle, formats=formats, max_pixels=max_pixels)
            kept = False
            try:
                if kind == "jpeg":
                    iptc = read_iptc(img)  # a broken IPTC block never rejects a photo
                    # Decoding at 1/8 scale still reads every byte of entropy data,
                    # so truncation is found at a fraction of the cost.
                    img.draft("RGB", (max(1, img.width // 8), max(1, img.height // 8)))
                images.decode_check(img, max_pixels=max_pixels)  # waits its turn in the decoding budget
                # The first web size, made next in this process, starts from this decoding.
                kept = kind == "jpeg" and first_decode.keep(received.sha256, img)
            finally:
                if not kept:
                    img.close()
        except images.TooManyPixels as exc:
            raise UnprocessableImage(str(exc), code="too_many_pixels") from None
        except images.UndecodableImage as exc:
            raise UnprocessableImage(str(exc), code="undecodable_image") from None
        except budget.BudgetWaitExceeded as exc:
            raise DecoderBusy(retry_after=exc.retry_after) from None

    return _Probed(info.oriented_width, info.oriented_height, info.orientation), iptc


def inspect(
    received: Received,
    *,
    event_timezone: str,
    max_pixels: int,
    clock_corrections: Mapping[tuple[str, str, str], timedelta] | None = None,
    allow_raw: bool = False,
) -> Inspection:
    """Validate the bytes and read their metadata.  Raises 415/422 errors."""
    detected = sniff.detect(received.head)
    raw_file = allow_raw and detected.kind in raw_sniff.RAW_KINDS
    if not detected.accepted and not raw_file:
        accepted = "JPEG, PNG, WebP, TIFF, HEIC/HEIF and AVIF" + (" and camera raw files" if allow_raw else "")
        hint = " (this album does not accept camera raw files)" if detected.kind in raw_sniff.RAW_KINDS else ""
        raise UnsupportedMediaType(f"unsupported file type: detected {detected.label}{hint}; accepted are {accepted}")
    iptc: dict[Any, Any] | None = None
    if raw_file:
        info = _probe_raw(received, max_pixels=max_pixels)
    else:
        info, iptc = _probe_and_decode(received, detected.kind, max_pixels=max_pixels)

    with received.path.open("rb") as handle:
        raw = read_metadata(handle, kind=detected.kind, time_budget=EXIF_TIME_BUDGET)
    when = capture_time(raw, event_timezone)
    camera = camera_info(raw)
    shift = clock.correction_for(clock_corrections or {}, camera.make, camera.model, camera.serial)
    if shift:
        # The editor said this camera's clock was off during the event.
        when = apply_clock_offset(when, shift, event_tz=event_timezone)
    position = gps(raw)
    texts = extract_captions(raw, iptc)

    values: dict[str, Any] = {
        "taken_at": when.taken_at_utc,
        "taken_at_offset_minutes": offset_minutes(when),
        "taken_at_source": TakenAtSource(when.source),
        "taken_at_raw": (when.raw_value or None) and when.raw_value[:100],
        "taken_at_flags": ",".join(sorted(when.flags))[:200],
        "clock_offset_seconds": int(when.clock_offset.total_seconds()) if when.clock_offset else 0,
        "camera_make": camera.make,
        "camera_model": camera.model,
        "camera_serial": camera.serial,
        "lens": camera.lens,
        "focal_length_mm": camera.focal_length_mm,
        "aperture": camera.aperture,
        "exposure_time": camera.exposure_time,
        "iso": camera.iso,
        "orientation": info.orientation if raw_file else camera.orientation or info.orientation,
        "metadata_error": None if raw.exif_ok else (raw.exif_error or "EXIF unreadable"),
        "gps_latitude": position.latitude if position else None,
        "gps_longitude": position.longitude if position else None,
        "gps_altitude": position.altitude if position else None,
        "title": texts.title or "",
        "caption": texts.caption or "",
        "credit": texts.credit or "",
        "copyright": texts.copyright or "",
        "keywords": list(texts.keywords or []),
    }
    return Inspection(
        kind=detected.kind,
        mime=detected.mime,
        width=info.width,
        height=info.height,
        values=values,
    )


def store_original(storage: Storage, received: Received, mime: str) -> str:
    """Write the original once under its content-addressed key (verified by hash)."""
    key = original_key(received.sha256)
    try:
        existing = storage.stat(key)
    except NotFound:
        existing = None
    if existing is not None and existing.size == received.size:
        return key
    if received.stored_key is not None:
        storage.copy(received.stored_key, key, sha256=received.sha256, content_type=mime, size=received.size)
        return key
    with received.path.open("rb") as handle:
        storage.put(key, handle, sha256=received.sha256, content_type=mime, size=received.size)
    return key


def find_existing(session: Session, album_id: int, sha256: str) -> Photo | None:
    """The album's photo with these bytes, deleted or not (the unique constraint allows one)."""
    return session.scalar(select(Photo).where(Photo.album_id == album_id, Photo.sha256 == sha256))


def ingest(
    session: Session,
    storage: Storage,
    *,
    album: Album,
    received: Received,
    filename: str | None,
    actor: Actor,
    max_pixels: int,
    allow_raw: bool = False,
    texts: Mapping[str, Any] | None = None,
) -> IngestOutcome:
    """Add one received file to an album, or find the album's row with the same bytes (returned
    with ``created=False``, deleted or not; its transaction is left open for the caller).
    Commits a new row; on any error nothing is committed (the original may stay in storage as an
    orphan that ``gallery gc`` removes after its grace period).

    ``allow_raw`` lets camera raw files in (the original stays the raw file; the web sizes are
    made from it).  ``texts`` are descriptive fields from outside the file (an XMP sidecar's
    ``caption``, ``credit``, ``keywords``): non-empty ones replace what the file itself says;
    the original's bytes are never touched.  A photo with no credit from either gets the
    uploader's default credit (their profile's, else their name)."""
    # Read what we need now: the transaction is ended before the slow part so a
    # SQLite reader snapshot never has to be upgraded to a writer later.
    album_id, album_slug, event_tz = album.id, album.slug, album.event.timezone
    user_id = actor.user_id
    fallback_credit = default_credit(actor.user) if actor.user is not None else ""
    corrections = clock.corrections_for(session, album.event_id)
    existing = find_existing(session, album_id, received.sha256)
    if existing is not None:
        return IngestOutcome(existing, created=False)
    session.rollback()

    found = inspect(
        received, event_timezone=event_tz, max_pixels=max_pixels, clock_corrections=corrections, allow_raw=allow_raw
    )
    values = {**found.values, **{name: value for name, value in (texts or {}).items() if value}}
    if not values["credit"]:
        values["credit"] = fallback_credit[:CREDIT_MAX]
    key = store_original(storage, received, found.mime)

    photo = Photo(
        album_id=album_id,
        sha256=received.sha256,
        original_key=key,
        original_filename=clean_filename(filename),
        content_type=found.mime,
        size=received.size,
        width=found.width,
        height=found.height,
        status=PhotoStatus.processing,
        uploaded_by_id=user_id,
        **values,
    )
    try:
        with session.begin_nested():
            session.add(photo)
    except IntegrityError:
        # Lost a race with an identical upload: the unique (album, sha256) won.
        session.rollback()
        winner = find_existing(session, album_id, received.sha256)
        if winner is None:
            raise
        return IngestOutcome(winner, created=False)
    record(
        session,
        "photo.upload",
        actor=actor,
        obj=photo,
        details={"album": album_slug, "sha256": received.sha256, "filename": photo.original_filename},
    )
    session.commit()
    log.info("stored photo %s (%s, %d bytes) in %s", photo.id, received.sha256[:12], received.size, album_slug)
    return IngestOutcome(photo, created=True)
