"""Resumable uploads (tus) whichever spool holds their bytes: a spool file (:mod:`gallery.uploads.tus`,
one machine or a shared folder) or, with ``GALLERY_UPLOAD_SPOOL=s3`` (several machines, no shared
folder), the bucket itself.  Each upload keeps the spool it was created with (``multipart_id`` set:
the bucket), so changing the setting does not strand uploads under way.

In the bucket an upload is an S3 multipart upload to ``uploads/tus/<key>/object`` with parts of a
fixed size (at least 5 MiB; more for files past 10,000 parts), part *n* holding bytes
``[(n-1)·P, n·P)``.  A PATCH body is first received whole into a temporary file of this request
(its size limit and Upload-Checksum checked there: a chunk refused with 460 never reaches the
bucket); then the bytes before it that do not fill a part yet (the tail, a small object
``uploads/tus/<key>/tail-<offset>`` named by the offset it ends at) and the new bytes are cut into
parts, every complete part (and the last, smaller one) is uploaded, what is left becomes the new
tail object, and only then the new offset is committed, on the condition that it is still the
offset the PATCH started from.  The database's offset is the truth: a process killed on the way
leaves the old tail object and committed offset intact (a part it re-sent holds the same bytes of
the same file), and the next PATCH, on any machine, starts from there.  Two PATCHes at one offset
cannot both commit: the second answers 409 and the client asks with HEAD.

The last byte: the request that claims the finish (``finished_at`` set with no answer yet) has S3
assemble the parts, reads the object once, streamed, for its size and SHA-256, and hands it to the
one upload path, which copies it inside the bucket as the original; the staging objects go.
HEAD, GET and a repeated final PATCH wait for a finish under way (or take over one abandoned for
:data:`ABANDONED`).  Termination and ``gallery gc`` abort the multipart upload and remove the
upload's objects."""

from __future__ import annotations

import contextlib
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gallery.core.errors import ConflictError, GalleryError, NotFoundError, ServiceUnavailable, UnsupportedMediaType
from gallery.models import Album, utcnow
from gallery.photos.receive import receive
from gallery.photos.received import Received
from gallery.storage import NotFound, Storage, StorageError, s3_direct
from gallery.storage.s3 import S3Storage
from gallery.uploads import tus
from gallery.uploads.models import Upload
from gallery.uploads.spool import Checksum, Spool, SpoolFile, UploadLocked

MIB = 1024 * 1024
MIN_PART = 5 * MIB  # S3's smallest part (but the last)
MAX_PARTS = 10_000  # S3's most parts
PREFIX = "uploads/tus/"
ABANDONED = timedelta(minutes=15)  # a finish claimed this long ago by a process that never answered
POLL_SECONDS = 0.2


def part_size_for(length: int) -> int:
    """5 MiB, or whole MiB large enough that the file takes at most 10,000 parts."""
    wanted = -(-length // MAX_PARTS)
    return max(MIN_PART, -(-wanted // MIB) * MIB)


def object_key(key: str) -> str:
    return f"{PREFIX}{key}/object"


def tail_key(key: str, offset: int) -> str:
    return f"{PREFIX}{key}/tail-{offset}"


def _store(storage: Storage) -> S3Storage:
    if not isinstance(storage, S3Storage):
        raise ServiceUnavailable("GALLERY_UPLOAD_SPOOL=s3 needs S3 storage (GALLERY_STORAGE_URL=s3://…)")
    return storage


# --- the tus operations, whichever spool -------------------------------------------------------


def create(
    session: Session,
    spool: Spool,
    intake: tus.Intake,
    *,
    length: str | None,
    metadata: str | None,
    content_type: str | None = None,
    body: IO[bytes] | None = None,
    checksum: str | None = None,
) -> tus.State:
    """POST (creation, creation-with-upload): see :func:`gallery.uploads.tus.create`."""
    if not intake.settings.uploads.spool_in_s3:
        return tus.create(
            session, spool, intake, length=length, metadata=metadata, content_type=content_type, body=body,
            checksum=checksum,
        )  # fmt: skip
    has_body = body is not None and content_type is not None
    if has_body and tus._media_type(content_type) != tus.CHUNK_TYPE:
        raise UnsupportedMediaType(f"the first bytes must be sent as {tus.CHUNK_TYPE}")
    if has_body:
        Checksum.parse(checksum)  # a bad header is a 400 before anything is created
    store = _store(intake.storage)

    def begin(key: str, size: int) -> dict[str, object]:
        staging = object_key(key)
        multipart_id = s3_direct.start(store, staging, content_type="application/octet-stream")
        return {"object_key": staging, "multipart_id": multipart_id, "part_size": part_size_for(size)}

    state = tus.create(session, spool, intake, length=length, metadata=metadata, begin=begin)
    if has_body and body is not None:
        return append(
            session, spool, intake, state.key, offset="0", content_type=content_type, body=body, checksum=checksum
        )
    return state


def status(session: Session, spool: Spool, intake: tus.Intake, key: str) -> tus.State:
    """HEAD: see :func:`gallery.uploads.tus.status`."""
    if _in_s3(session, key, intake.user_id):
        upload = _settled(session, intake, key)
        tus._check_alive(upload)
        return tus.State.of(upload)
    return tus.status(session, spool, intake, key)


def outcome(session: Session, spool: Spool, intake: tus.Intake, key: str) -> tus.Outcome:
    """GET: see :func:`gallery.uploads.tus.outcome` (its own settling finds the upload settled)."""
    if _in_s3(session, key, intake.user_id):
        _settled(session, intake, key)
    return tus.outcome(session, spool, intake, key)


def append(
    session: Session,
    spool: Spool,
    intake: tus.Intake,
    key: str,
    *,
    offset: str | None,
    content_type: str | None,
    body: IO[bytes],
    checksum: str | None = None,
) -> tus.State:
    """PATCH: see :func:`gallery.uploads.tus.append` (the same answers)."""
    if not _in_s3(session, key, intake.user_id):
        return tus.append(
            session, spool, intake, key, offset=offset, content_type=content_type, body=body, checksum=checksum
        )
    if tus._media_type(content_type) != tus.CHUNK_TYPE:
        raise UnsupportedMediaType(f"send the bytes as {tus.CHUNK_TYPE}")
    start = tus.parse_number(offset, "Upload-Offset")
    check = Checksum.parse(checksum)
    upload = tus._owned(session, key, intake.user_id)
    if upload.finished_at is not None:
        if start != upload.length:
            raise ConflictError(f"the upload is complete: Upload-Offset is {upload.length}", code="offset_mismatch")
        return tus._answer(_settled(session, intake, key))
    tus._check_alive(upload)
    if start != upload.offset:
        raise ConflictError(
            f"Upload-Offset {start} does not match the {upload.offset} bytes the server holds: "
            "ask with HEAD and go on from there",
            code="offset_mismatch",
        )
    session.rollback()  # no transaction (nor SQLite's write lock) while the body arrives
    _write(session, intake, upload, start, body, check)
    upload = tus._owned(session, key, intake.user_id)
    if upload.offset == upload.length:
        upload = _settled(session, intake, key)
        state = tus._answer(upload)
    else:
        state = tus.State.of(upload)
    session.rollback()
    return state


def terminate(session: Session, spool: Spool, intake: tus.Intake, key: str) -> None:
    """DELETE: the upload, its multipart upload and its objects are gone (a photo it made stays)."""
    upload = tus._owned(session, key, intake.user_id)
    if upload.multipart_id is None:
        tus.terminate(session, spool, key, user_id=intake.user_id)
        return
    if upload.finished_at is not None and upload.status_code is None:
        raise UploadLocked("this upload is being finished; try again")
    upload_id, multipart_id = upload.id, upload.multipart_id
    session.execute(delete(Upload).where(Upload.id == upload_id))
    session.commit()  # a PATCH under way can no longer commit (its offset condition finds no row)
    _discard(_store(intake.storage), key, multipart_id)


def sweep(
    session: Session,
    storage: Storage,
    *,
    stray_after: timedelta,
    now: datetime | None = None,
    dry_run: bool = False,
    report: tus.Report | None = None,
) -> list[str]:
    """``gallery gc`` for the bucket spool: expired unfinished uploads (row, multipart upload and
    objects; a finish under way is left alone), and objects under ``uploads/tus/`` of no known
    upload older than ``stray_after`` (what a terminated upload's last PATCH left behind)."""
    if not isinstance(storage, S3Storage):
        return []
    moment = now or utcnow()
    expired = list(
        session.execute(
            select(Upload.id, Upload.key, Upload.multipart_id).where(
                Upload.kind == tus.KIND,
                Upload.multipart_id.is_not(None),
                Upload.finished_at.is_(None),
                Upload.expires_at <= moment,
            )
        )
    )
    known = set(session.scalars(select(Upload.key)))
    session.rollback()
    removed: list[str] = []
    verb = "would remove" if dry_run else "removed"
    for upload_id, key, multipart_id in expired:
        if not dry_run:
            gone = session.execute(
                delete(Upload).where(Upload.id == upload_id, Upload.finished_at.is_(None), Upload.expires_at <= moment)
            )
            session.commit()
            if getattr(gone, "rowcount", 1) != 1:
                continue  # resumed or being finished meanwhile
            _discard(storage, key, multipart_id)
        removed.append(key)
        if report:
            report(f"{verb} expired unfinished upload {key} (S3 spool)")
    cutoff = moment - stray_after
    strays: dict[str, list[str]] = {}
    for stored in storage.list(PREFIX):
        owner = stored.key[len(PREFIX) :].split("/", 1)[0]
        if owner not in known and owner not in removed and stored.last_modified <= cutoff:
            strays.setdefault(owner, []).append(stored.key)
    for owner, keys in sorted(strays.items()):
        if not dry_run:
            for stored_key in keys:
                with contextlib.suppress(NotFound):
                    storage.delete(stored_key)
        removed.append(owner)
        if report:
            report(f"{verb} {len(keys)} S3 spool object(s) of unknown upload {owner}")
    return removed


# --- the bucket spool ----------------------------------------------------------------------------


def _in_s3(session: Session, key: str, user_id: int) -> bool:
    in_s3 = tus._owned(session, key, user_id).multipart_id is not None
    session.rollback()
    return in_s3


def _write(
    session: Session, intake: tus.Intake, upload: Upload, start: int, body: IO[bytes], check: Checksum | None
) -> None:
    """Receive the body, push it into parts and a new tail, commit the offset (see the module docstring)."""
    store = _store(intake.storage)
    upload_id, key, length = upload.id, upload.key, upload.length
    part_size, multipart_id = int(upload.part_size or MIN_PART), str(upload.multipart_id)
    tmp_dir = intake.settings.instance_path / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix="tus-", suffix=".chunk", dir=tmp_dir) as handle:
        path = Path(handle.name)
        failure: BaseException | None = None
        try:
            written = SpoolFile(path, handle).append(body, offset=0, limit=length - start, checksum=check)
        except Exception as exc:  # noqa: BLE001 - raised again below, after what arrived is kept
            written, failure = int(getattr(exc, "written", 0)), exc
        if written:
            handle.seek(0)
            end = _push(store, key, multipart_id, part_size, length, start, handle, written)
            committed = session.execute(
                update(Upload)
                .where(Upload.id == upload_id, Upload.offset == start, Upload.finished_at.is_(None))
                .values(offset=end, expires_at=utcnow() + intake.expiry)
            )
            session.commit()
            if getattr(committed, "rowcount", 1) != 1:
                raise ConflictError(
                    "another request sent these bytes first: ask with HEAD and go on from there",
                    code="offset_mismatch",
                )
            if start % part_size:
                with contextlib.suppress(NotFound, StorageError):
                    store.delete(tail_key(key, start))
        if failure is not None:
            raise failure


def _push(
    store: S3Storage,
    key: str,
    multipart_id: str,
    part_size: int,
    length: int,
    start: int,
    chunk: IO[bytes],
    count: int,
) -> int:
    """The tail before ``start`` and ``count`` bytes of ``chunk``: complete parts uploaded, the rest
    written as the tail object of the new offset, which is answered."""
    kept = start % part_size
    buffer = bytearray()
    if kept:
        try:
            buffer += s3_direct.read_small(store, tail_key(key, start))[:kept]
        except NotFound:
            buffer = bytearray()
        if len(buffer) != kept:
            raise ServiceUnavailable(f"the unfinished part of upload {key} is missing from the bucket; try again")
    position, remaining = start, count
    while remaining:
        piece = chunk.read(min(part_size - len(buffer), remaining, MIB))
        if not piece:
            raise ServiceUnavailable("the received chunk was cut short; send it again")
        buffer += piece
        position += len(piece)
        remaining -= len(piece)
        if len(buffer) == part_size or position == length:
            s3_direct.upload_part(store, object_key(key), multipart_id, (position - 1) // part_size + 1, bytes(buffer))
            buffer = bytearray()
    if buffer:
        s3_direct.put_small(store, tail_key(key, position), bytes(buffer))
    return position


def _settled(session: Session, intake: tus.Intake, key: str) -> Upload:
    """The upload once nobody is finishing it: all bytes in and unclaimed, it is finished here; a
    finish under way is waited for (up to ``tus.FINISH_WAIT_SECONDS``; then 423), one abandoned
    for :data:`ABANDONED` is taken over.  The upload path's refusals are recorded, not raised."""
    deadline = time.monotonic() + tus.FINISH_WAIT_SECONDS
    while True:
        upload = tus._owned(session, key, intake.user_id)
        if upload.finished_at is None and upload.offset == upload.length:
            try:
                _finish(session, intake, upload)
            except ServiceUnavailable:
                raise
            except GalleryError:
                again = tus._owned(session, key, intake.user_id)
                if again.finished_at is None and again.offset == again.length:
                    raise  # not recorded: nothing to wait for
                # recorded on the upload, or the offset went back: look again
        elif upload.finished_at is not None and upload.status_code is None:
            claimed_at = upload.finished_at
            if claimed_at <= utcnow() - ABANDONED:
                session.execute(
                    update(Upload)
                    .where(Upload.id == upload.id, Upload.finished_at == claimed_at, Upload.status_code.is_(None))
                    .values(finished_at=None)
                )
                session.commit()
                continue
            session.rollback()
            if time.monotonic() >= deadline:
                raise UploadLocked("this upload is still being finished; try again")
            time.sleep(POLL_SECONDS)
        else:
            return upload


def _finish(session: Session, intake: tus.Intake, upload: Upload) -> None:
    """Claim the finish, assemble, read back, receive (see the module docstring)."""
    store = _store(intake.storage)
    upload_id, key, length = upload.id, upload.key, upload.length
    album_id, filename = upload.album_id, upload.filename
    part_size, multipart_id, staging = int(upload.part_size or MIN_PART), str(upload.multipart_id), object_key(key)
    claimed = session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.finished_at.is_(None), Upload.offset == Upload.length)
        .values(finished_at=utcnow())
    )
    session.commit()
    if getattr(claimed, "rowcount", 1) != 1:
        return  # another request claimed it
    try:
        if not store.exists(staging):  # not assembled by an earlier attempt (a 503 after it)
            _assemble(session, store, upload_id, key, multipart_id, part_size, length)
        fetched = s3_direct.fetch(store, staging, tmp_dir=intake.settings.instance_path / "tmp", max_bytes=length)
        received = Received(
            fetched.path, fetched.sha256, fetched.size, owned=True, head=fetched.head, stored_key=staging
        )
        album = session.get(Album, album_id)
        if fetched.size != length or album is None:
            received.cleanup()
            message = "the album of this upload no longer exists" if album is None else "the assembled upload is short"
            raise NotFoundError(message) if album is None else GalleryError(message, code="mismatch")
        receipt = receive(
            session, store, received, filename=filename, album=album, actor=intake.actor,
            settings=intake.settings, derivatives=intake.derivatives,
        )  # fmt: skip
    except ServiceUnavailable:
        _unclaim(session, upload_id)
        raise
    except GalleryError as exc:
        if not isinstance(exc, ConflictError) or exc.code != "offset_mismatch":
            _refuse(session, upload_id, exc.status, exc.code, exc.message)
            _discard(store, key, multipart_id)
        raise
    except BaseException:
        _unclaim(session, upload_id)
        raise
    photo_id, status_code = receipt.photo.id, receipt.status_code
    session.rollback()
    session.execute(update(Upload).where(Upload.id == upload_id).values(status_code=status_code, photo_id=photo_id))
    session.commit()
    _discard(store, key, None)


def _assemble(
    session: Session, store: S3Storage, upload_id: int, key: str, multipart_id: str, part_size: int, length: int
) -> None:
    """Complete the multipart upload from the parts the store holds.  A part missing or of the
    wrong size (never expected): the offset goes back to the last good part boundary and the
    client, told 409, asks with HEAD and sends the rest again."""
    count = -(-length // part_size)
    parts = {
        number: (etag, size) for number, etag, size in s3_direct.uploaded_parts(store, object_key(key), multipart_id)
    }
    for number in range(1, count + 1):
        expected = part_size if number < count else length - (count - 1) * part_size
        if parts.get(number, ("", -1))[1] != expected:
            session.rollback()
            session.execute(
                update(Upload).where(Upload.id == upload_id).values(offset=(number - 1) * part_size, finished_at=None)
            )
            session.commit()
            raise ConflictError(
                f"part {number} of the upload is missing from the bucket: ask with HEAD and send the rest again",
                code="offset_mismatch",
            )
    try:
        s3_direct.complete(store, object_key(key), multipart_id, [(n, parts[n][0]) for n in range(1, count + 1)])
    except s3_direct.PartsRefused as exc:
        raise ServiceUnavailable(f"the bucket would not assemble the upload ({exc}); try again") from exc


def _refuse(session: Session, upload_id: int, status_code: int, code: str, message: str) -> None:
    session.rollback()
    session.execute(
        update(Upload)
        .where(Upload.id == upload_id)
        .values(status_code=status_code, error_code=code, error_message=message[:1000])
    )
    session.commit()


def _unclaim(session: Session, upload_id: int) -> None:
    session.rollback()
    session.execute(update(Upload).where(Upload.id == upload_id, Upload.status_code.is_(None)).values(finished_at=None))
    session.commit()


def _discard(store: S3Storage, key: str, multipart_id: str | None) -> None:
    """Abort the multipart upload (when still open) and remove every object of the upload."""
    if multipart_id is not None:
        s3_direct.abort(store, object_key(key), multipart_id)
    for stored in list(store.list(f"{PREFIX}{key}/")):
        with contextlib.suppress(NotFound):
            store.delete(stored.key)


def live_multipart_ids(session: Session, *, now: datetime | None = None) -> set[str]:
    """The S3 multipart upload ids of resumable and direct uploads not finished nor expired: what
    ``gallery gc``'s multipart step must not abort however long ago they started."""
    ids = session.scalars(
        select(Upload.multipart_id).where(
            Upload.multipart_id.is_not(None), Upload.finished_at.is_(None), Upload.expires_at > (now or utcnow())
        )
    )
    found = {str(value) for value in ids}
    session.rollback()
    return found
