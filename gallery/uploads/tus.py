"""Resumable uploads, tus 1.0.0 (core, creation, creation-with-upload, termination, expiration,
checksum with sha1 and sha256): the rules, without HTTP.  The view (:mod:`gallery.api.uploads`)
hands over the header values and the body stream and turns the answers into headers.

An upload belongs to the user who created it (anyone else is told it does not exist), names its
album in Upload-Metadata (``album``: the slug; ``filename``), and lives in the spool
(:mod:`gallery.uploads.spool`) until its last byte arrives: then, under the spool file's lock, the
file goes through the one upload path (:func:`gallery.photos.receive.receive`) and the answer is
recorded on the row (a photo, or the error that refused it; GET on the upload tells it).  A refusal
that may pass (503: busy decoders, storage unavailable) keeps the file, and the same final PATCH
(an empty body at the full offset) tries again.

The committed ``offset`` is the truth: a PATCH commits it after writing and syncing; what a killed
process wrote past it is cut by the next PATCH.  A client that goes away mid-chunk keeps what
arrived (without a checksum: with one the chunk cannot be checked, so nothing of it is kept)."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, can_view_photo
from gallery.config import Settings
from gallery.core.audit import Actor
from gallery.core.errors import (
    ConflictError,
    EmptyFile,
    GalleryError,
    NotFoundError,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from gallery.models import Album, Photo, User, utcnow
from gallery.photos.receive import DerivativeWork, receive
from gallery.photos.received import Received, check_size
from gallery.storage import Storage
from gallery.uploads.models import Upload
from gallery.uploads.spool import CHECKSUMS, Checksum, Spool, SpoolFile, UploadLocked

KIND = "tus"
VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "expiration", "checksum")
CHECKSUM_ALGORITHMS = tuple(CHECKSUMS)
CHUNK_TYPE = "application/offset+octet-stream"
METADATA_MAX = 4096
NUMBER_MAX_DIGITS = 19
FINISH_WAIT_SECONDS = 60.0  # how long HEAD or GET waits for another request finishing the upload


class UploadGone(GalleryError):
    """The expiration extension: an unfinished upload past its expiry."""

    status = 410
    code = "upload_expired"


class Refused(GalleryError):
    """The recorded answer of an upload the upload path refused (GET on the upload repeats it)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


@dataclass(frozen=True)
class Intake:
    """What finishing an upload needs: the store, the settings, who is acting, the renderer."""

    storage: Storage
    settings: Settings
    actor: Actor
    derivatives: DerivativeWork

    @property
    def user_id(self) -> int:
        if self.actor.user is None:
            raise NotFoundError("no such upload")
        return self.actor.user.id

    @property
    def expiry(self) -> timedelta:
        return timedelta(hours=self.settings.uploads.expiry_hours)


@dataclass(frozen=True)
class State:
    """What the tus headers tell about an upload."""

    key: str
    length: int
    offset: int
    expires_at: datetime
    metadata: str
    photo_id: int | None = None
    created: bool = False  # the photo is new (201), not the same bytes already in the album (200)

    @classmethod
    def of(cls, upload: Upload) -> State:
        return cls(
            upload.key,
            upload.length,
            upload.offset,
            upload.expires_at,
            upload.metadata_header,
            upload.photo_id,
            upload.status_code == 201,
        )


def parse_number(value: str | None, header: str) -> int:
    """A tus size or offset: a non-negative decimal integer."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > NUMBER_MAX_DIGITS:
        raise GalleryError(f"{header} must be a non-negative whole number of bytes", code="bad_header", field=header)
    return int(text)


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (a value may be absent)."""
    text = (header or "").strip()
    if len(text) > METADATA_MAX:
        raise GalleryError(f"Upload-Metadata is longer than {METADATA_MAX} characters", field="Upload-Metadata")
    found: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = pair.partition(" ")
        if not name or " " in value.strip() or name in found:
            raise GalleryError(f"Upload-Metadata: bad pair {pair[:60]!r}", code="bad_header", field="Upload-Metadata")
        try:
            found[name] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise GalleryError(
                f"Upload-Metadata: the value of {name!r} is not base64 of UTF-8 text",
                code="bad_header",
                field="Upload-Metadata",
            ) from None
    return found


def create(
    session: Session,
    spool: Spool,
    intake: Intake,
    *,
    length: str | None,
    metadata: str | None,
    content_type: str | None = None,
    body: IO[bytes] | None = None,
    checksum: str | None = None,
    begin: Callable[[str, int], dict[str, object]] | None = None,
) -> State:
    """POST (creation): a new upload for the album named in the metadata, and with a body
    (creation-with-upload) its first bytes.  400 bad headers, 404 no such album, 413 too large.
    ``begin(key, length)`` keeps the bytes elsewhere than in a spool file (the row's extra
    columns: :mod:`gallery.uploads.s3spool`)."""
    size = parse_number(length, "Upload-Length")
    check_size(size, max_bytes=intake.settings.max_upload_bytes)
    if size == 0:
        raise EmptyFile("the file is empty")
    fields = parse_metadata(metadata)
    slug = fields.get("album", "").strip()
    if not slug:
        raise GalleryError("Upload-Metadata must name the album (key 'album', its slug)", field="Upload-Metadata")
    album = albums.get_album(session, slug)
    filename = (fields.get("filename") or fields.get("name") or "").strip()[:1024]
    has_body = body is not None and content_type is not None
    if has_body and _media_type(content_type) != CHUNK_TYPE:
        raise UnsupportedMediaType(f"the first bytes must be sent as {CHUNK_TYPE}")
    check = Checksum.parse(checksum) if has_body else None
    key = secrets.token_urlsafe(24)
    user_id = intake.user_id
    extra = begin(key, size) if begin is not None else {}
    if begin is None:
        spool.create(key)
    try:
        upload = Upload(
            key=key,
            user_id=user_id,
            album_id=album.id,
            filename=filename,
            metadata_header=(metadata or "").strip(),
            kind=KIND,
            length=size,
            offset=0,
            expires_at=utcnow() + intake.expiry,
            **extra,
        )
        session.add(upload)
        session.commit()
    except BaseException:
        session.rollback()
        spool.path(key).unlink(missing_ok=True)
        raise
    state = State.of(upload)
    if has_body and body is not None:
        session.rollback()
        return _write(session, spool, intake, key, offset=0, body=body, checksum=check)
    return state


def status(session: Session, spool: Spool, intake: Intake, key: str) -> State:
    """HEAD: the committed offset (the length once finished).  404 unknown, 410 expired.  All
    bytes in but not finished: the finishing request is waited for (a client that reloaded while
    its last PATCH was being received must not take the upload for done before it is), or, with
    nobody at it (a 503 before), the upload is finished here."""
    upload = _settled(session, spool, intake, key)
    _check_alive(upload)
    return State.of(upload)


def _settled(session: Session, spool: Spool, intake: Intake, key: str) -> Upload:
    upload = _owned(session, key, intake.user_id)
    if upload.finished_at is not None or upload.offset != upload.length:
        return upload
    session.rollback()
    try:
        with spool.locked(key, wait=FINISH_WAIT_SECONDS) as file:
            upload = _owned(session, key, intake.user_id)
            if upload.finished_at is None and upload.offset == upload.length:
                try:
                    _finish(session, file, upload, intake)
                except ServiceUnavailable:
                    raise
                except GalleryError:
                    pass  # recorded on the upload: GET tells it
    except NotFoundError:
        pass  # the request we waited for finished it and removed the file: the row says how it went
    return _owned(session, key, intake.user_id)


def append(
    session: Session,
    spool: Spool,
    intake: Intake,
    key: str,
    *,
    offset: str | None,
    content_type: str | None,
    body: IO[bytes],
    checksum: str | None = None,
) -> State:
    """PATCH: the bytes from ``offset`` on.  400 bad headers, 404 unknown, 409 the offset is not
    the server's, 410 expired, 413 past the length, 415 not a tus chunk, 423 another PATCH is
    writing, 460 checksum mismatch; the last byte finishes the upload (the upload path's errors)."""
    if _media_type(content_type) != CHUNK_TYPE:
        raise UnsupportedMediaType(f"send the bytes as {CHUNK_TYPE}")
    start = parse_number(offset, "Upload-Offset")
    check = Checksum.parse(checksum)
    upload = _owned(session, key, intake.user_id)
    if upload.finished_at is not None:
        if start != upload.length:
            raise ConflictError(f"the upload is complete: Upload-Offset is {upload.length}", code="offset_mismatch")
        return _answer(upload)
    _check_alive(upload)
    session.rollback()  # no transaction (nor SQLite's write lock) while the body arrives
    return _write(session, spool, intake, key, offset=start, body=body, checksum=check)


def terminate(session: Session, spool: Spool, key: str, *, user_id: int) -> None:
    """DELETE (termination): the upload and its spool file are gone (the photo it made stays).
    423 while a PATCH is writing."""
    upload_id = _owned(session, key, user_id).id
    session.rollback()
    if spool.exists(key):
        with spool.locked(key) as file:
            file.remove()
    session.execute(delete(Upload).where(Upload.id == upload_id))
    session.commit()


@dataclass(frozen=True)
class Outcome:
    photo: Photo
    may_show: bool
    created: bool


def outcome(session: Session, spool: Spool, intake: Intake, key: str) -> Outcome:
    """GET: the photo the upload made, or the error that refused it (409 while bytes are missing)."""
    upload = _settled(session, spool, intake, key)
    user_id = intake.user_id
    if upload.finished_at is None:
        _check_alive(upload)
        raise ConflictError(
            f"the upload is not complete: {upload.offset} of {upload.length} bytes received", code="upload_incomplete"
        )
    if upload.error_code is not None:
        raise Refused(upload.status_code or 422, upload.error_code, upload.error_message or "the upload was refused")
    photo = session.get(Photo, upload.photo_id) if upload.photo_id is not None else None
    if photo is None:
        raise NotFoundError("the photo this upload made no longer exists")
    return Outcome(photo, can_view_photo(photo, Viewer.of(session.get(User, user_id))), upload.status_code == 201)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _owned(session: Session, key: str, user_id: int) -> Upload:
    upload = session.scalar(
        select(Upload).where(Upload.key == key, Upload.kind == KIND).execution_options(populate_existing=True)
    )
    if upload is None or upload.user_id != user_id:
        raise NotFoundError("no such upload")
    return upload


def _check_alive(upload: Upload) -> None:
    if upload.finished_at is None and upload.expires_at <= utcnow():
        raise UploadGone("this upload expired; start a new one")


def _answer(upload: Upload) -> State:
    """A finished upload: its photo, or the refusal (raised again)."""
    if upload.error_code is not None:
        raise Refused(upload.status_code or 422, upload.error_code, upload.error_message or "the upload was refused")
    return State.of(upload)


def _write(
    session: Session, spool: Spool, intake: Intake, key: str, *, offset: int, body: IO[bytes], checksum: Checksum | None
) -> State:
    """Under the spool file's lock: check the offset against the committed one, append, commit
    the new offset, and finish the upload when its last byte is in."""
    with spool.locked(key) as file:
        upload = _owned(session, key, intake.user_id)
        if upload.finished_at is not None:  # finished by a concurrent final PATCH
            if offset != upload.length:
                raise ConflictError(f"the upload is complete: Upload-Offset is {upload.length}", code="offset_mismatch")
            return _answer(upload)
        if offset != upload.offset:
            raise ConflictError(
                f"Upload-Offset {offset} does not match the {upload.offset} bytes the server holds: "
                "ask with HEAD and go on from there",
                code="offset_mismatch",
            )
        upload_id, length = upload.id, upload.length
        session.rollback()
        try:
            written = file.append(body, offset=offset, limit=length - offset, checksum=checksum)
        except Exception as exc:
            kept = int(getattr(exc, "written", 0))
            if kept:
                _commit_offset(session, upload_id, offset + kept, intake.expiry)
            raise
        if written:
            _commit_offset(session, upload_id, offset + written, intake.expiry)
        upload = _owned(session, key, intake.user_id)
        if upload.offset == upload.length:
            _finish(session, file, upload, intake)
            upload = _owned(session, key, intake.user_id)
        state = State.of(upload)
        session.rollback()
        return state


def _commit_offset(session: Session, upload_id: int, offset: int, expiry: timedelta) -> None:
    session.execute(update(Upload).where(Upload.id == upload_id).values(offset=offset, expires_at=utcnow() + expiry))
    session.commit()


def _finish(session: Session, file: SpoolFile, upload: Upload, intake: Intake) -> None:
    """The whole file is in: the one upload path, then the answer recorded and the spool file removed."""
    upload_id, album_id, filename, length = upload.id, upload.album_id, upload.filename, upload.length
    head, sha256 = file.head_and_sha256()
    album = session.get(Album, album_id)
    if album is None:
        raise NotFoundError("the album of this upload no longer exists")
    received = Received(path=file.path, sha256=sha256, size=length, owned=False, head=head)
    try:
        receipt = receive(
            session,
            intake.storage,
            received,
            filename=filename,
            album=album,
            actor=intake.actor,
            settings=intake.settings,
            derivatives=intake.derivatives,
        )
    except ServiceUnavailable:
        raise  # may pass: the file stays, the same final PATCH tries again
    except GalleryError as exc:
        _record(session, upload_id, status_code=exc.status, error_code=exc.code, error_message=exc.message[:1000])
        file.remove()
        raise
    _record(session, upload_id, status_code=receipt.status_code, photo_id=receipt.photo.id)
    file.remove()


def _record(session: Session, upload_id: int, **answer: object) -> None:
    session.rollback()
    session.execute(update(Upload).where(Upload.id == upload_id).values(finished_at=utcnow(), **answer))
    session.commit()


Report = Callable[[str], None]


def sweep(
    session: Session,
    spool: Spool,
    *,
    stray_after: timedelta,
    now: datetime | None = None,
    dry_run: bool = False,
    report: Report | None = None,
) -> list[str]:
    """``gallery gc``: unfinished uploads past their expiry (row and spool file), finished ones'
    rows past it (their GET answers until then), and spool files without a row older than
    ``stray_after``.  An upload being written to right now is left for the next run.  Answers the
    keys removed (or, with ``dry_run``, that would be)."""
    moment = now or utcnow()
    expired = list(
        session.execute(
            select(Upload.id, Upload.key, Upload.finished_at).where(Upload.kind == KIND, Upload.expires_at <= moment)
        )
    )
    known = set(session.scalars(select(Upload.key)))
    session.rollback()
    removed: list[str] = []
    verb = "would remove" if dry_run else "removed"
    for upload_id, key, finished_at in expired:
        try:
            if not dry_run and spool.exists(key):
                with spool.locked(key) as file:
                    file.remove()
        except UploadLocked:
            continue
        except NotFoundError:
            pass
        if not dry_run:
            session.execute(delete(Upload).where(Upload.id == upload_id))
            session.commit()
        removed.append(key)
        if report:
            report(f"{verb} {'finished' if finished_at else 'expired unfinished'} upload {key}")
    cutoff = (moment - stray_after).timestamp()
    for key in spool.stored_keys():
        mtime = spool.mtime(key)
        if key in known or mtime is None or mtime > cutoff:
            continue
        try:
            if not dry_run:
                with spool.locked(key) as file:
                    file.remove()
        except (UploadLocked, NotFoundError):
            continue
        removed.append(key)
        if report:
            report(f"{verb} spool file of unknown upload {key}")
    return removed
