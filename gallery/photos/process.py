"""Derivatives for a stored photo: decode once, render every size, store, record.

Runs inside the Celery task (in-process by default, on a worker when a broker
is configured).  Idempotent: running it twice gives the same keys and rows.

The database transaction is closed while the image is rendered, and the write
afterwards starts with a write, so concurrent workers on SQLite never need to
upgrade a stale read snapshot (which SQLite refuses without waiting)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from PIL import Image
from sqlalchemy import Delete, delete, update
from sqlalchemy.orm import Session

from gallery.core import metrics
from gallery.media import images, raw_sniff, sniff
from gallery.media import raw as raw_images
from gallery.media.blur import parse_boxes
from gallery.media.derivatives import RenderedDerivative, derivative_key, render_derivatives
from gallery.models import Derivative, Photo, PhotoStatus
from gallery.photos import first_decode
from gallery.photos.received import open_original_path
from gallery.storage import Storage, StorageError, sha256_hex

log = logging.getLogger("gallery.derivatives")

Stage = Literal["all", "first", "rest"]
_VERSION_ATTEMPTS = 3


@dataclass(frozen=True)
class Source:
    photo_id: int
    sha256: str
    original_key: str
    credit: str
    copyright: str
    media_version: str
    blur_boxes: tuple[dict[str, float], ...] = ()

    @classmethod
    def of(cls, photo: Photo) -> Source:
        return cls(
            photo.id,
            photo.sha256,
            photo.original_key,
            photo.credit,
            photo.copyright,
            photo.media_version,
            tuple(photo.blur_boxes or ()),
        )


def render_and_store(
    storage: Storage,
    source: Source,
    *,
    sizes: Sequence[int],
    max_pixels: int,
    decoded: Image.Image | None = None,
) -> list[Derivative]:
    """Make and store every derivative; returns the (unsaved) rows.  ``decoded``: a picture of
    the original already decoded (drafted) that serves ``sizes`` (:mod:`gallery.photos.first_decode`),
    rendered from instead of the stored original, and closed.
    Raises on failure (the caller decides between retry and ``failed``)."""
    if decoded is not None:
        try:
            rendered = _render(decoded, source, sizes)
        finally:
            decoded.close()
        return _store(storage, source, rendered)
    path, temporary = open_original_path(storage, source.original_key)
    try:
        with path.open("rb") as handle:
            detected = sniff.detect(handle.read(sniff.SNIFF_BYTES))
            if detected.kind in raw_sniff.RAW_KINDS:  # a camera raw original: libraw makes the picture
                img = raw_images.open_raw(path, long_edge=max(sizes, default=1), max_pixels=max_pixels)
            elif not detected.accepted:
                raise images.UndecodableImage(f"stored original is {detected.label}")
            else:
                handle.seek(0)
                img = images.open_image(handle, formats=sniff.PILLOW_FORMATS[detected.kind], max_pixels=max_pixels)
            try:
                rendered = _render(img, source, sizes)
            finally:
                img.close()
    finally:
        if temporary:
            path.unlink(missing_ok=True)
    return _store(storage, source, rendered)


def _render(img: Image.Image, source: Source, sizes: Sequence[int]) -> list[RenderedDerivative]:
    return render_derivatives(
        img,
        sizes=sizes,
        credit=source.credit or None,
        copyright=source.copyright or None,
        blur=parse_boxes(list(source.blur_boxes)),
        release=True,  # closed by the caller right after anyway: free the decoding before encoding
    )


def _store(storage: Storage, source: Source, rendered: list[RenderedDerivative]) -> list[Derivative]:
    rows: list[Derivative] = []
    seen: set[tuple[str, int]] = set()
    # Largest first: when two sizes of a very thin image round to the same pixel
    # width, the key (derivatives/<sha256>/<version>/<width>.<ext>) keeps the larger one.
    for item in sorted(rendered, key=lambda r: -r.long_edge):
        if (item.format, item.width) in seen:
            continue
        seen.add((item.format, item.width))
        key = derivative_key(source.sha256, source.media_version, item.width, item.format)
        storage.put(
            key,
            BytesIO(item.data),
            sha256=sha256_hex(item.data),
            content_type=item.mime,
            size=len(item.data),
        )
        rows.append(
            Derivative(
                photo_id=source.photo_id,
                width=item.width,
                height=item.height,
                format=item.format,
                key=key,
                size=len(item.data),
            )
        )
    return rows


def process_photo(
    session: Session,
    storage: Storage,
    photo_id: int,
    *,
    sizes: Sequence[int],
    max_pixels: int,
    retry_follows: bool = False,
    stage: Stage = "all",
    timed: bool = True,
) -> str:
    """Render derivatives and mark the photo ready, or failed with the reason.

    Returns the final status.  Anything wrong with the image itself marks the photo
    ``failed``.  A storage failure (store unreachable, disk full) is logged; when a retry
    follows (``retry_follows``: the Celery task has retries left) it is re-raised and the
    photo stays ``processing``, else the photo is marked ``failed`` with the reason, for
    ``gallery reprocess``: never left ``processing`` with nothing to finish it.

    ``stage`` (:data:`Stage`): ``all`` renders every size and replaces every derivative row;
    ``first`` only the smallest size and publishes the photo with ``sizes_pending`` set while
    larger sizes are to come; ``rest`` the larger sizes, keeping the smallest, and clears
    ``sizes_pending`` (:func:`publish_progressively` runs the two).

    ``timed``: observe the run in ``gallery_derivative_duration_seconds`` (one observation per
    photo's web sizes: :func:`publish_progressively` times its two stages together, not each)."""
    observe = metrics.observe_derivatives if timed else _not_observed
    for _attempt in range(_VERSION_ATTEMPTS):
        photo = session.get(Photo, photo_id)
        if photo is None:
            log.warning("photo %s vanished before its derivatives were made", photo_id)
            session.rollback()
            return "missing"
        source = Source.of(photo)
        session.rollback()  # no transaction stays open while we render
        started = time.perf_counter()
        try:
            wanted = stage_sizes(sizes, stage)
            # The first size starts from the upload check's decoding when this process made it.
            decoded = first_decode.take(source.sha256, long_edge=min(wanted)) if stage == "first" and wanted else None
            rows = render_and_store(storage, source, sizes=wanted, max_pixels=max_pixels, decoded=decoded)
        except StorageError as exc:
            metrics.count_storage_error("derivatives")
            observe("failed", time.perf_counter() - started)
            reason = f"derivatives could not be stored: {exc}"[:2000]
            if retry_follows:
                log.warning("photo %s: %s; retrying", photo_id, reason)
                raise
            return _fail(session, photo_id, reason, logging.ERROR)
        except Exception as exc:  # noqa: BLE001 - the image cannot be rendered: keep the original, say why
            observe("failed", time.perf_counter() - started)
            return _fail(session, photo_id, f"derivatives failed: {exc}"[:2000], logging.WARNING)
        # The photo's row first: it locks the row, so two runs for the same photo (a re-queue while
        # the first still renders) replace each other's derivative rows one after the other.  Only
        # while its media version is the one rendered for: a hide, restore or blur meanwhile gave it
        # a new one (photos/versions.py), and what was just stored is already retired.
        marked = session.execute(
            update(Photo)
            .where(Photo.id == photo_id, Photo.media_version == source.media_version)
            .values(
                status=PhotoStatus.ready,
                error=None,
                sizes_pending=stage == "first" and bool(stage_sizes(sizes, "rest")),
            )
        )
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(_replaced(photo_id, rows, stage))
            session.add_all(rows)
            session.commit()
            observe("ready", time.perf_counter() - started)
            return PhotoStatus.ready.value
        session.rollback()
        for row in rows:
            storage.delete(row.key)
        log.info("photo %s changed media version while rendering; rendering again", photo_id)
    return _fail(session, photo_id, "the media version kept changing while rendering", logging.ERROR)


def stage_sizes(sizes: Sequence[int], stage: Stage) -> list[int]:
    """The sizes a stage renders: ``first`` the smallest, ``rest`` the others, ``all`` every one."""
    ordered = sorted(set(sizes))
    if stage == "first":
        return ordered[:1]
    if stage == "rest":
        return ordered[1:]
    return ordered


def _replaced(photo_id: int, rows: Sequence[Derivative], stage: Stage) -> Delete:
    """The derivative rows a stage's new rows replace: all of them (``all``), or those of the
    widths just rendered (a stage keeps what the other one made)."""
    statement = delete(Derivative).where(Derivative.photo_id == photo_id)
    if stage == "all":
        return statement
    return statement.where(Derivative.width.in_({row.width for row in rows}))


def publish_progressively(
    session: Session,
    storage: Storage,
    photo_id: int,
    *,
    sizes: Sequence[int],
    max_pixels: int,
    retry_follows: bool = False,
) -> str:
    """A new photo live as soon as its smallest size exists: render that one first (decoded at the
    smallest DCT scale that serves it), publish the photo (``ready``, ``sizes_pending``), then the
    larger sizes (``sizes_pending`` cleared).  Idempotent like :func:`process_photo`; a photo whose
    first stage failed is not rendered further.  The whole run is one observation of
    ``gallery_derivative_duration_seconds`` (as one :func:`process_photo` run is), labelled with
    its final result."""
    started = time.perf_counter()
    try:
        status = process_photo(
            session,
            storage,
            photo_id,
            sizes=sizes,
            max_pixels=max_pixels,
            retry_follows=retry_follows,
            stage="first",
            timed=False,
        )
        if status == PhotoStatus.ready.value and stage_sizes(sizes, "rest"):
            status = process_photo(
                session,
                storage,
                photo_id,
                sizes=sizes,
                max_pixels=max_pixels,
                retry_follows=retry_follows,
                stage="rest",
                timed=False,
            )
    except StorageError:  # a retry follows: this run failed
        metrics.observe_derivatives("failed", time.perf_counter() - started)
        raise
    if status in (PhotoStatus.ready.value, PhotoStatus.failed.value):  # not "missing": nothing was rendered
        metrics.observe_derivatives(status, time.perf_counter() - started)
    return status


def _not_observed(result: str, seconds: float) -> None:
    """In place of :func:`metrics.observe_derivatives` for a stage its caller times."""


def _fail(session: Session, photo_id: int, reason: str, level: int) -> str:
    session.execute(update(Photo).where(Photo.id == photo_id).values(status=PhotoStatus.failed, error=reason))
    session.commit()
    log.log(level, "photo %s failed: %s", photo_id, reason)
    return PhotoStatus.failed.value
