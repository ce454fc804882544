"""Derivatives for a stored photo: decode once, render every size, store, record.

Runs inside the Celery task (in-process by default, on a worker when a broker
is configured).  Idempotent: running it twice gives the same keys and rows."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..media import images, sniff
from ..media.derivatives import derivative_key, render_derivatives
from ..models import Derivative, Photo, PhotoStatus
from ..storage import Storage, StorageError, sha256_hex
from .service import open_original_path

log = logging.getLogger("gallery.derivatives")


def render_and_store(
    session: Session, storage: Storage, photo: Photo, *, sizes: Sequence[int], max_pixels: int
) -> list[Derivative]:
    """Make and store every derivative of ``photo``; replaces its derivative rows.
    Raises on failure (the caller decides between retry and ``failed``)."""
    path, temporary = open_original_path(storage, photo.original_key)
    try:
        with path.open("rb") as handle:
            detected = sniff.detect(handle.read(sniff.SNIFF_BYTES))
            if not detected.accepted:
                raise images.UndecodableImage(f"stored original is {detected.label}")
            handle.seek(0)
            sniff.ensure_pillow_plugins()
            img = images.open_image(handle, formats=sniff.PILLOW_FORMATS[detected.kind], max_pixels=max_pixels)
            try:
                rendered = render_derivatives(
                    img, sizes=sizes, credit=photo.credit or None, copyright=photo.copyright or None
                )
            finally:
                img.close()
    finally:
        if temporary:
            path.unlink(missing_ok=True)

    rows: list[Derivative] = []
    for item in rendered:
        key = derivative_key(photo.sha256, item.width, item.format)
        from io import BytesIO

        storage.put(
            key,
            BytesIO(item.data),
            sha256=sha256_hex(item.data),
            content_type="image/jpeg" if item.format == "jpeg" else "image/webp",
            size=len(item.data),
        )
        rows.append(
            Derivative(width=item.width, height=item.height, format=item.format, key=key, size=len(item.data))
        )
    session.execute(delete(Derivative).where(Derivative.photo_id == photo.id))
    for row in rows:
        row.photo_id = photo.id
        session.add(row)
    return rows


def process_photo(session: Session, storage: Storage, photo_id: int, *, sizes: Sequence[int], max_pixels: int) -> str:
    """Render derivatives and mark the photo ready, or failed with the reason.

    Returns the final status.  Storage outages are re-raised so the task can retry;
    anything wrong with the image itself marks the photo ``failed``."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        log.warning("photo %s vanished before its derivatives were made", photo_id)
        return "missing"
    try:
        render_and_store(session, storage, photo, sizes=sizes, max_pixels=max_pixels)
    except StorageError:
        session.rollback()
        raise
    except Exception as exc:  # the image cannot be rendered: keep the original, say why
        session.rollback()
        photo = session.get(Photo, photo_id)
        assert photo is not None
        photo.status = PhotoStatus.failed
        photo.error = f"derivatives failed: {exc}"[:2000]
        session.commit()
        log.warning("photo %s failed: %s", photo_id, exc)
        return photo.status.value
    photo.status = PhotoStatus.ready
    photo.error = None
    session.commit()
    return photo.status.value
