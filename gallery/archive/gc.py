"""``gallery gc``: remove what nothing needs any more.

Deletion policy, in this order:

1. **Photos deleted more than ``retention`` ago (default 30 days, the bin's
   :data:`gallery.photos.deletion.RETENTION`)** are purged: the row is
   hard-deleted (its derivative rows and idempotency keys go with it; an album cover pointing at
   it is cleared), the purge is written to the audit log, and then each of its objects
   (derivatives and the original) is deleted **only if no remaining row refers to the same key**:
   originals and derivatives are content-addressed, so the same bytes uploaded to another album
   share them.  Rows go first, objects second: a crash in between leaves only unreferenced
   objects, which the next run removes.  A photo deleted less than ``retention`` ago keeps
   everything and can still be restored by an editor from the album's bin (Deleted photos);
   uploading the same bytes again does not restore it (409), but once it is purged here the same
   bytes are a new upload.
2. **Unreferenced objects** under ``originals/`` and ``derivatives/`` older than ``grace``
   (default 24 h) are deleted: originals left by an upload that died between the store and the
   commit, derivatives of sizes no longer configured.  The grace period protects uploads in
   flight (their original is stored a moment before their row is committed); each candidate is
   checked against the database once more right before it is deleted.
3. **Multipart uploads** to S3 started more than ``grace`` ago are aborted (their parts cost
   storage but are invisible to listings).
4. **Temporary upload files** in the instance ``tmp`` folder older than ``grace`` (left by a
   killed web worker) are removed.
5. **Resumable uploads** (tus) past their expiry (``GALLERY_UPLOAD_EXPIRY_HOURS``, counted from
   their last chunk) lose their row and spool file; spool files no row knows, older than the
   expiry, go too (:func:`gallery.uploads.tus.sweep`); so do expired direct uploads to S3, with
   their multipart upload and staging object (:func:`gallery.uploads.direct.sweep`), and resumable
   uploads kept in the bucket (``GALLERY_UPLOAD_SPOOL=s3``), with their multipart upload and
   objects (:func:`gallery.uploads.resumable.sweep`).

A ``grace`` shorter than the longest upload is only safe while nothing is being uploaded.  Every
deletion is logged (logger ``gallery.gc``) and reported through ``report`` (one line per deletion
on stdout in the CLI).  ``dry_run`` changes nothing and reports what would be done.

Objects outside ``originals/`` and ``derivatives/`` are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from gallery.archive.durations import format_duration
from gallery.archive.references import find_untracked, is_referenced
from gallery.core.audit import SYSTEM, Actor, record
from gallery.models import Album, Derivative, IdempotencyKey, Photo, utcnow
from gallery.photos.deletion import RETENTION
from gallery.storage import NotFound, Storage
from gallery.uploads import direct, resumable, tus
from gallery.uploads.spool import Spool

log = logging.getLogger("gallery.gc")

DEFAULT_GRACE = timedelta(hours=24)
TMP_PATTERNS = ("upload-*.part", "original-*")

Report = Callable[[str], None]


@dataclass
class GcReport:
    dry_run: bool
    purged_photos: list[int] = field(default_factory=list)
    deleted_objects: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    aborted_uploads: int = 0
    removed_tmp_files: list[str] = field(default_factory=list)
    expired_uploads: list[str] = field(default_factory=list)


def _say(report: Report | None, message: str, *, dry_run: bool) -> None:
    log.info("%s%s", "dry run: " if dry_run else "", message)
    if report:
        report(message)


def _delete_object(storage: Storage, key: str, size: int, why: str, result: GcReport, report: Report | None) -> None:
    verb = "would delete" if result.dry_run else "deleted"
    if not result.dry_run:
        storage.delete(key)
    result.deleted_objects.append(key)
    result.freed_bytes += size
    _say(report, f"{verb} {key} ({size} bytes): {why}", dry_run=result.dry_run)


def _object_size(storage: Storage, key: str) -> int | None:
    try:
        return storage.stat(key).size
    except NotFound:
        return None


def _keys_shared_with_others(session: Session, photo: Photo, keys: list[str]) -> set[str]:
    """Which of ``keys`` (the photo's objects) another photo or derivative row also refers to."""
    shared = set(
        session.scalars(select(Photo.original_key).where(Photo.id != photo.id, Photo.original_key.in_(keys)))
    ) | set(session.scalars(select(Derivative.key).where(Derivative.photo_id != photo.id, Derivative.key.in_(keys))))
    session.rollback()
    return shared


def _delete_row(session: Session, photo: Photo, actor: Actor) -> None:
    record(
        session,
        "photo.purge",
        actor=actor,
        obj=photo,
        details={
            "album": photo.album.slug,
            "sha256": photo.sha256,
            "filename": photo.original_filename,
            "deleted_at": photo.deleted_at.isoformat() if photo.deleted_at else None,
        },
    )
    # Clear what refers to the photo explicitly (SQLite cannot enforce the cover's FK).
    session.execute(
        update(Album).where(Album.cover_photo_id == photo.id).values(cover_photo_id=None, updated_at=Album.updated_at)
    )
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.photo_id == photo.id))
    session.delete(photo)
    session.commit()


def purge_deleted_photos(
    session: Session,
    storage: Storage,
    *,
    retention: timedelta,
    result: GcReport,
    report: Report | None = None,
    now: datetime | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Step 1: hard-delete photos deleted longer than ``retention`` ago, then their objects
    that no remaining row shares."""
    cutoff = (now or utcnow()) - retention
    ids = list(
        session.scalars(
            select(Photo.id).where(Photo.deleted_at.is_not(None), Photo.deleted_at < cutoff).order_by(Photo.id)
        )
    )
    session.rollback()
    for photo_id in ids:
        photo = session.get(Photo, photo_id, options=[selectinload(Photo.derivatives), selectinload(Photo.album)])
        if photo is None or photo.deleted_at is None or photo.deleted_at >= cutoff:
            session.rollback()
            continue  # restored or purged meanwhile
        keys = [d.key for d in photo.derivatives] + [photo.original_key]
        label = f"photo {photo.id} (album {photo.album.slug}, deleted {photo.deleted_at:%Y-%m-%d %H:%M} UTC)"
        if result.dry_run:
            _say(report, f"would purge {label}", dry_run=True)
            shared = _keys_shared_with_others(session, photo, keys)
            for key in keys:
                if key not in shared:
                    size = _object_size(storage, key)
                    if size is not None:
                        _delete_object(storage, key, size, f"belongs only to purged {label}", result, report)
            result.purged_photos.append(photo_id)
            continue
        _delete_row(session, photo, actor)
        result.purged_photos.append(photo_id)
        _say(report, f"purged {label}", dry_run=False)
        for key in keys:
            if is_referenced(session, key):
                continue
            size = _object_size(storage, key)
            if size is not None:
                _delete_object(storage, key, size, f"belonged only to purged {label}", result, report)
        session.rollback()


def remove_unreferenced_objects(
    session: Session,
    storage: Storage,
    *,
    grace: timedelta,
    result: GcReport,
    report: Report | None = None,
    now: datetime | None = None,
) -> None:
    """Step 2: objects no row refers to, older than ``grace``."""
    cutoff = (now or utcnow()) - grace
    for obj in find_untracked(session, storage):
        if obj.last_modified > cutoff:
            _say(report, f"kept {obj.key}: unreferenced but younger than the grace period", dry_run=result.dry_run)
            continue
        if is_referenced(session, obj.key):  # committed since the listing
            session.rollback()
            continue
        session.rollback()
        _delete_object(storage, obj.key, obj.size, "no row refers to it", result, report)


def abort_stale_uploads(
    storage: Storage,
    *,
    grace: timedelta,
    result: GcReport,
    report: Report | None = None,
    keep: Collection[str] = (),
) -> None:
    """Step 3: S3 multipart uploads started more than ``grace`` ago (stores without them: nothing),
    but those of resumable and direct uploads not yet expired (``keep``: their upload ids)."""
    abort = getattr(storage, "abort_stale_multipart_uploads", None)
    if not callable(abort):
        return
    if result.dry_run:
        _say(report, f"would abort multipart uploads started more than {format_duration(grace)} ago", dry_run=True)
        return
    count = int(abort(grace, keep))
    result.aborted_uploads = count
    if count:
        _say(report, f"aborted {count} stale multipart upload(s)", dry_run=False)


def remove_stale_tmp_files(
    tmp_dir: Path, *, grace: timedelta, result: GcReport, report: Report | None = None, now: datetime | None = None
) -> None:
    """Step 4: temporary upload files older than ``grace`` (regular files matching :data:`TMP_PATTERNS`)."""
    if not tmp_dir.is_dir():
        return
    cutoff = ((now or utcnow()) - grace).timestamp()
    seen: set[Path] = set()
    for pattern in TMP_PATTERNS:
        for path in sorted(tmp_dir.glob(pattern)):
            if path in seen or not path.is_file() or path.is_symlink():
                continue
            seen.add(path)
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if st.st_mtime > cutoff:
                continue
            if not result.dry_run:
                path.unlink(missing_ok=True)
            result.removed_tmp_files.append(path.name)
            verb = "would remove" if result.dry_run else "removed"
            _say(report, f"{verb} temporary file {path} ({st.st_size} bytes)", dry_run=result.dry_run)


def collect_garbage(
    session: Session,
    storage: Storage,
    *,
    grace: timedelta = DEFAULT_GRACE,
    retention: timedelta = RETENTION,
    dry_run: bool = False,
    tmp_dir: Path | None = None,
    report: Report | None = None,
    now: datetime | None = None,
    upload_spool: Path | None = None,
    upload_expiry: timedelta = DEFAULT_GRACE,
) -> GcReport:
    """Run every ``gc`` step in order; see the module docstring for the policy."""
    result = GcReport(dry_run=dry_run)
    purge_deleted_photos(session, storage, retention=retention, result=result, report=report, now=now)
    remove_unreferenced_objects(session, storage, grace=grace, result=result, report=report, now=now)
    live = resumable.live_multipart_ids(session, now=now)
    abort_stale_uploads(storage, grace=grace, result=result, report=report, keep=live)
    if tmp_dir is not None:
        remove_stale_tmp_files(tmp_dir, grace=grace, result=result, report=report, now=now)
    if upload_spool is not None:
        result.expired_uploads = (
            resumable.sweep(session, storage, stray_after=upload_expiry, now=now, dry_run=dry_run, report=report)
            + tus.sweep(
                session, Spool(upload_spool), stray_after=upload_expiry, now=now, dry_run=dry_run, report=report
            )
            + direct.sweep(session, storage, now=now, dry_run=dry_run, report=report)
        )
    return result
