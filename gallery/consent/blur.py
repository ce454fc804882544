"""Blurring people in a photo: every web size rendered again with the boxes obscured; and the face
suggestions the blur tool starts from.

:func:`blur_photo` is what an editor's "blur" (a takedown decision, the blur tool on the photo's
management page, ``POST /api/v1/photos/<id>/blur``, the bulk tool) does:

* the boxes (fractions of the photo **as displayed**, i.e. after its EXIF orientation -- the same
  frame the derivatives are in) are checked and stored in ``Photo.blur_boxes``;
* every web size is rendered again from the original, with the boxes pixelated and blurred beyond
  recognition (:mod:`gallery.media.blur`), under a new media version: the unblurred web sizes'
  URLs stop answering, their objects are deleted and the CDN is told when the caller commits
  (:mod:`gallery.photos.versions`);
* the original stays untouched in the archive, and downloads of a blurred photo give the blurred web
  size, never the original (:func:`gallery.photos.downloads.plan_download`).

An empty list of boxes takes the blur away again (the web sizes are rendered plain, again under a
new version).  The caller commits."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace

from PIL import Image
from sqlalchemy.orm import Session

from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.permissions import Permission, require_permission
from gallery.media.blur import BoxError, parse_boxes
from gallery.models import Photo, new_media_version
from gallery.photos.process import Source, render_and_store
from gallery.photos.versions import NO_PURGE, CdnPurge, replace_derivatives
from gallery.storage import NotFound, Storage, StorageError


def blur_photo(
    session: Session,
    photo: Photo,
    boxes: object,
    *,
    actor: Actor,
    storage: Storage,
    sizes: Sequence[int],
    max_pixels: int,
    purge: CdnPurge = NO_PURGE,
) -> list[dict[str, float]]:
    """Blur ``boxes`` (a list of ``{"x", "y", "w", "h"}`` fractions) in every web size of ``photo``;
    returns the boxes stored.  422 for malformed boxes, 404 for a photo in the bin, 409 when the
    original cannot be rendered; a storage failure propagates (503) and changes nothing."""
    require_permission(actor.user, Permission.edit_content, "only editors may blur photos")
    if photo.deleted_at is not None:
        raise NotFoundError(f"no photo {photo.id}")
    try:
        parsed = parse_boxes(boxes)
    except BoxError as exc:
        raise ValidationError(str(exc), field="boxes") from None
    stored = [box.as_dict() for box in parsed]
    version = new_media_version()
    source = replace(Source.of(photo), media_version=version, blur_boxes=tuple(stored))
    try:
        rows = render_and_store(storage, source, sizes=sizes, max_pixels=max_pixels)
    except NotFound:
        raise ConflictError(
            f"the original of photo {photo.id} is missing from the store", code="original_missing"
        ) from None
    except StorageError:
        raise
    except Exception as exc:
        raise ConflictError(f"photo {photo.id} cannot be rendered: {exc}", code="unrenderable") from exc
    was = photo.blur_boxes
    photo.blur_boxes = stored or None
    replace_derivatives(session, photo, rows, version, storage=storage, purge=purge)
    record(
        session,
        "photo.blur" if stored else "photo.unblur",
        actor=actor,
        obj=photo,
        details={"boxes": stored, "was": was or [], "album_id": photo.album_id},
    )
    return stored


def face_suggestions(photo: Photo, *, storage: Storage) -> list[dict[str, float]]:
    """Boxes around the faces OpenCV finds in the photo (:func:`gallery.media.faces.suggest_faces`),
    in fractions of the photo as displayed: what the blur tool proposes.  Read from the largest JPEG
    web size (upright, at most a few megapixels), never from the original; 409 while it has none."""
    jpegs = [d for d in photo.derivatives if d.format == "jpeg"]
    if photo.deleted_at is not None:
        raise NotFoundError(f"no photo {photo.id}")
    if not jpegs:
        raise ConflictError(f"photo {photo.id} has no web size yet", code="not_ready")
    largest = max(jpegs, key=lambda d: d.width * d.height)
    try:
        with storage.open(largest.key) as handle:
            data = handle.read()
    except NotFound:
        raise ConflictError(
            f"the web size of photo {photo.id} is missing; run gallery reprocess", code="not_ready"
        ) from None
    # OpenCV only here: importing it costs every process 36 MB of memory (web and Celery workers,
    # `gallery import`), and only the blur tool asks for faces.
    from gallery.media.faces import suggest_faces

    with Image.open(io.BytesIO(data)) as img:
        return [box.as_dict() for box in suggest_faces(img)]


def blur_found_faces(
    session: Session,
    photos: Sequence[Photo],
    *,
    actor: Actor,
    storage: Storage,
    sizes: Sequence[int],
    max_pixels: int,
    purge: CdnPurge = NO_PURGE,
) -> list[Photo]:
    """The bulk tool: blur the faces OpenCV finds (:func:`face_suggestions`) in each of ``photos``
    that is not blurred yet and has a web size; returns the photos blurred.  Photos without a face
    found are left as they are (the editor draws their boxes on the blur tool)."""
    require_permission(actor.user, Permission.edit_content, "only editors may blur photos")
    blurred: list[Photo] = []
    for photo in photos:
        if photo.blur_boxes or photo.deleted_at is not None:
            continue
        try:
            boxes = face_suggestions(photo, storage=storage)
        except ConflictError:  # no web size yet
            continue
        if boxes:
            blur_photo(
                session, photo, boxes, actor=actor, storage=storage, sizes=sizes, max_pixels=max_pixels, purge=purge
            )
            blurred.append(photo)
    return blurred
