"""Direct uploads to S3: the client sends the bytes straight to the bucket, Gallery never carries them.

1. :func:`start` (``POST /api/v1/albums/<album>/direct-uploads`` with filename, size, sha256):
   bytes already in the album are answered at once with their photo; otherwise a multipart upload
   to a staging object (``uploads/direct/<id>``, outside ``originals/`` and ``derivatives/``) is
   started and the client gets presigned ``UploadPart`` URLs, parts of 8–64 MiB chosen by size.
2. The client PUTs the parts (again, after a failure: S3 keeps the last copy of a part).
3. :func:`complete` (the parts' ETags): the store assembles the object; Gallery reads it once,
   streamed, for its size and SHA-256 (a 2xx from S3 vouches for neither: multipart checksums are
   composite); a mismatch aborts and removes everything (422).  Otherwise the file takes the one
   upload path (:func:`gallery.photos.receive.receive`), whose original is copied inside the bucket
   (``CopyObject``), and the staging object is removed.

The upload page's ``@uppy/aws-s3`` makes every request on the bucket itself: after :func:`start`
it asks :func:`sign` for each one (a part, the list of parts, the completion, the abort), bound to
the upload's own staging object and multipart upload id; it completes the multipart upload in the
bucket, then calls :func:`complete` without parts, which checks and receives the object as above.

Only with S3 storage: on a local store the start answers 409."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, can_view_photo
from gallery.core.errors import (
    ConflictError,
    EmptyFile,
    GalleryError,
    NotFoundError,
    PhotoDeleted,
    ServiceUnavailable,
    ValidationError,
)
from gallery.models import Album, Photo, User, utcnow
from gallery.photos.ingest import find_existing
from gallery.photos.receive import DELETED_MESSAGE, receive
from gallery.photos.received import Received, check_size
from gallery.storage import NotFound, Storage, StorageError, s3_direct
from gallery.storage.s3 import S3Storage
from gallery.uploads.models import Upload
from gallery.uploads.tus import Intake, Refused, UploadGone

KIND = "direct"
STAGING_PREFIX = "uploads/direct/"


class NeedsS3(ConflictError):
    code = "direct_uploads_need_s3"


class NotAssembled(ConflictError):
    code = "not_assembled"


# The requests a browser may have signed, by (HTTP method, with a part number): the ones @uppy/aws-s3
# makes on a multipart upload that exists.  Creating one (or a plain PUT) is Gallery's: :func:`start`.
SIGNABLE = {
    ("PUT", True): "upload_part",
    ("GET", False): "list_parts",
    ("POST", False): "complete",
    ("DELETE", False): "abort",
}
SIGNED_URL_SECONDS = 3600


@dataclass(frozen=True)
class Started:
    key: str
    part_size: int
    urls: list[str]
    upload_id: str  # the bucket's multipart upload id


@dataclass(frozen=True)
class Finished:
    """The photo a direct upload made (201) or found already in the album (200)."""

    photo: Photo
    status_code: int
    may_show: bool


def _s3(storage: Storage) -> S3Storage:
    if not isinstance(storage, S3Storage):
        raise NeedsS3(
            "direct uploads need S3 storage (GALLERY_STORAGE_URL=s3://…); this gallery keeps originals in a local "
            "folder: use the resumable uploads at /api/v1/uploads/ instead"
        )
    return storage


def _finished(session: Session, photo: Photo, status_code: int, user_id: int) -> Finished:
    return Finished(photo, status_code, can_view_photo(photo, Viewer.of(session.get(User, user_id))))


def start(
    session: Session, intake: Intake, *, album_slug: str, filename: str, size: int, sha256: str
) -> Started | Finished:
    """Start a direct upload into the album, or answer the photo its bytes already are.
    409 local storage or deleted bytes, 404 no album, 413 too large, 400 empty."""
    store = _s3(intake.storage)
    album = albums.get_album(session, album_slug)
    check_size(size, max_bytes=intake.settings.max_upload_bytes)
    if size == 0:
        raise EmptyFile("the file is empty")
    digest = sha256.lower()
    existing = find_existing(session, album.id, digest)
    if existing is not None:
        if existing.deleted_at is not None:
            raise PhotoDeleted(DELETED_MESSAGE.format(album=album.slug))
        return _finished(session, existing, 200, intake.user_id)
    album_id, user_id = album.id, intake.user_id
    session.rollback()
    key = secrets.token_urlsafe(24)
    object_key = STAGING_PREFIX + key
    part_size = s3_direct.part_size_for(size)
    multipart_id = s3_direct.start(store, object_key, content_type="application/octet-stream")
    try:
        urls = s3_direct.part_urls(
            store,
            object_key,
            multipart_id,
            count=s3_direct.part_count(size, part_size),
            expires=int(intake.expiry.total_seconds()),
        )
        session.add(
            Upload(
                key=key,
                kind=KIND,
                user_id=user_id,
                album_id=album_id,
                filename=filename.strip()[:1024],
                length=size,
                offset=0,
                sha256=digest,
                object_key=object_key,
                multipart_id=multipart_id,
                part_size=part_size,
                expires_at=utcnow() + intake.expiry,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        s3_direct.abort(store, object_key, multipart_id)
        raise
    return Started(key, part_size, urls, multipart_id)


def page_origin(storage: Storage) -> str | None:
    """The origin the upload page sends bytes to when they go straight to the bucket (S3 storage:
    its Content-Security-Policy must let the page connect there), else None (the page uses tus)."""
    return s3_direct.browser_origin(storage) if isinstance(storage, S3Storage) else None


def sign(session: Session, intake: Intake, key: str, *, method: str, upload_id: str, part_number: int | None) -> str:
    """A presigned URL for one request of the client on its own direct upload ``key``: PUT a part
    (``part_number`` within the upload's parts), GET the parts, POST the completion, DELETE (abort).
    Always the upload's own staging object and multipart upload, whose id the client must name.
    404 unknown or someone else's, 409 completed, 410 expired, 422 another request or id."""
    store = _s3(intake.storage)
    upload = _owned(session, key, intake.user_id)
    operation = SIGNABLE.get((method.upper(), part_number is not None))
    if operation is None:
        raise ValidationError(
            "only a part (PUT with a part number), the list of parts (GET), the completion (POST) or the abort "
            "(DELETE) of this upload are signed; Gallery starts the upload itself",
            field="method",
        )
    if upload.multipart_id is None or not secrets.compare_digest(upload_id.encode(), upload.multipart_id.encode()):
        raise ValidationError("this is not the multipart upload of this direct upload", field="upload_id")
    if upload.finished_at is not None:
        raise ConflictError("this direct upload is completed (or being completed)", code="completing")
    remaining = (upload.expires_at - utcnow()).total_seconds()
    if remaining <= 0:
        raise UploadGone("this direct upload expired; start a new one")
    count = s3_direct.part_count(upload.length, upload.part_size or upload.length)
    if part_number is not None and not 1 <= part_number <= count:
        raise ValidationError(f"this upload has the parts 1 to {count}", field="part_number")
    object_key, multipart_id = str(upload.object_key), upload.multipart_id
    session.rollback()
    return s3_direct.presign(
        store,
        object_key,
        multipart_id,
        operation,
        part_number=part_number,
        expires=int(min(remaining, SIGNED_URL_SECONDS)),
    )


def complete(session: Session, intake: Intake, key: str, parts: list[tuple[int, str]] | None) -> Finished:
    """Assemble, check and receive a direct upload (see the module docstring).  ``parts`` None: the
    client completed the multipart upload in the bucket itself (the upload page).  404 unknown,
    409 being completed by another request or (without parts) not assembled yet, 410 expired,
    422 wrong parts or a size/SHA-256 mismatch (everything aborted and removed), and the upload
    path's own answers."""
    store = _s3(intake.storage)
    upload = _owned(session, key, intake.user_id)
    if upload.finished_at is not None:
        if upload.status_code is None:
            raise ConflictError("this direct upload is being completed by another request", code="completing")
        if upload.error_code is not None:
            raise Refused(upload.status_code, upload.error_code, upload.error_message or "the upload was refused")
        photo = session.get(Photo, upload.photo_id) if upload.photo_id is not None else None
        if photo is None:
            raise NotFoundError("the photo this upload made no longer exists")
        return _finished(session, photo, upload.status_code, intake.user_id)
    if upload.expires_at <= utcnow():
        raise UploadGone("this direct upload expired; start a new one")
    count = s3_direct.part_count(upload.length, upload.part_size or upload.length)
    if parts is not None and sorted(number for number, _ in parts) != list(range(1, count + 1)):
        raise ValidationError(f"name each of the parts 1 to {count} once, with its ETag", field="parts")
    upload_id, assembled = upload.id, upload.offset == upload.length or parts is None
    object_key, multipart_id = str(upload.object_key), str(upload.multipart_id)
    claimed = session.execute(
        update(Upload).where(Upload.id == upload_id, Upload.finished_at.is_(None)).values(finished_at=utcnow())
    )
    session.commit()
    if getattr(claimed, "rowcount", 1) != 1:
        raise ConflictError("this direct upload is being completed by another request", code="completing")
    try:
        return _assemble_and_receive(session, intake, store, upload_id, object_key, multipart_id, parts, assembled)
    except Exception as exc:
        if isinstance(exc, ServiceUnavailable | StorageError) or not isinstance(exc, GalleryError):
            _set(session, upload_id, finished_at=None)  # may pass: the same completion can be sent again
        raise


def _assemble_and_receive(
    session: Session,
    intake: Intake,
    store: S3Storage,
    upload_id: int,
    object_key: str,
    multipart_id: str,
    parts: list[tuple[int, str]] | None,
    assembled: bool,
) -> Finished:
    if not assembled and parts is not None:
        try:
            s3_direct.complete(store, object_key, multipart_id, sorted(parts))
        except s3_direct.PartsRefused as exc:
            _refuse(session, store, upload_id, object_key, multipart_id, f"{exc}; the upload was aborted")
        _set(session, upload_id, offset=Upload.length)
    upload = session.get(Upload, upload_id)
    assert upload is not None
    length, expected, filename, album_id = upload.length, upload.sha256, upload.filename, upload.album_id
    try:
        fetched = s3_direct.fetch(store, object_key, tmp_dir=intake.settings.instance_path / "tmp", max_bytes=length)
    except NotFound:
        if parts is not None:
            raise
        _set(session, upload_id, finished_at=None)  # the client may complete it in the bucket, then ask again
        raise NotAssembled(
            "the object is not assembled: complete the multipart upload in the bucket first, or name the parts"
        ) from None
    received = Received(
        fetched.path, fetched.sha256, fetched.size, owned=True, head=fetched.head, stored_key=object_key
    )
    if fetched.size != length or fetched.sha256 != expected:
        received.cleanup()
        what = "size" if fetched.size != length else "SHA-256"
        _refuse(session, store, upload_id, object_key, None, f"the stored object's {what} is not the one announced")
    album = session.get(Album, album_id)
    if album is None:
        received.cleanup()
        raise NotFoundError("the album of this upload no longer exists")
    try:
        receipt = receive(
            session,
            store,
            received,
            filename=filename,
            album=album,
            actor=intake.actor,
            settings=intake.settings,
            derivatives=intake.derivatives,
        )
    except ServiceUnavailable:
        raise
    except GalleryError as exc:
        _remove_object(store, object_key)
        _set(session, upload_id, status_code=exc.status, error_code=exc.code, error_message=exc.message[:1000])
        raise
    photo_id, status_code = receipt.photo.id, receipt.status_code
    _remove_object(store, object_key)
    _set(session, upload_id, status_code=status_code, photo_id=photo_id)
    return Finished(receipt.photo, status_code, receipt.may_show)


def _refuse(
    session: Session, store: S3Storage, upload_id: int, object_key: str, multipart_id: str | None, message: str
) -> None:
    """Abort and remove everything, record the refusal, raise it (422)."""
    if multipart_id is not None:
        s3_direct.abort(store, object_key, multipart_id)
    _remove_object(store, object_key)
    _set(session, upload_id, status_code=422, error_code="mismatch", error_message=message[:1000])
    raise ValidationError(message, code="mismatch")


def _remove_object(store: S3Storage, object_key: str) -> None:
    with contextlib.suppress(NotFound):  # never assembled, or already removed
        store.delete(object_key)


def _set(session: Session, upload_id: int, **values: Any) -> None:
    session.rollback()
    session.execute(update(Upload).where(Upload.id == upload_id).values(**values))
    session.commit()


def _owned(session: Session, key: str, user_id: int) -> Upload:
    upload = session.scalar(
        select(Upload).where(Upload.key == key, Upload.kind == KIND).execution_options(populate_existing=True)
    )
    if upload is None or upload.user_id != user_id:
        raise NotFoundError("no such direct upload")
    return upload


def sweep(
    session: Session,
    storage: Storage,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    report: Callable[[str], None] | None = None,
) -> list[str]:
    """``gallery gc``: direct uploads past their expiry lose their row, and unless finished, their
    multipart upload and staging object.  Answers the keys removed (or that would be)."""
    rows = list(
        session.execute(
            select(Upload.id, Upload.key, Upload.status_code, Upload.object_key, Upload.multipart_id).where(
                Upload.kind == KIND, Upload.expires_at <= (now or utcnow())
            )
        )
    )
    session.rollback()
    removed: list[str] = []
    for upload_id, key, status_code, object_key, multipart_id in rows:
        if not dry_run:
            if status_code is None and isinstance(storage, S3Storage) and object_key and multipart_id:
                s3_direct.abort(storage, object_key, multipart_id)
                _remove_object(storage, object_key)
            session.execute(delete(Upload).where(Upload.id == upload_id))
            session.commit()
        removed.append(key)
        if report:
            report(f"{'would remove' if dry_run else 'removed'} expired direct upload {key}")
    return removed
