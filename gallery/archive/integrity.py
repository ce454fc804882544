"""Archive integrity: ``gallery verify``, ``gallery gc`` and the selection for ``gallery reprocess``.

verify
    Streams every original from the store, re-hashes it and compares SHA-256 and size with the
    row.  Reports *missing* and *changed* originals (each named: photo id, album, key, expected
    and actual hash) and *untracked* objects (under ``originals/`` or ``derivatives/`` with no row
    referring to them; they are listed for ``gc`` and are not an error).  ``last_verified_at`` is
    recorded for every photo whose original matched, committed in small batches; nothing else is
    written (``updated_at`` is left alone), so it is safe to run on a live system.  With
    ``sample`` only the N photos verified longest ago (never-verified first) are checked, so a
    nightly ``verify --sample 500`` walks the whole archive over time.

gc
    Deletion policy, in this order:

    1. **Photos deleted more than ``retention`` ago (default 30 days)** are purged: the row is
       hard-deleted (its derivative rows and idempotency keys go with it; an album cover pointing
       at it is cleared), the purge is written to the audit log, and then each of its objects
       (derivatives and the original) is deleted **only if no remaining row refers to the same
       key**: originals and derivatives are content-addressed, so the same bytes uploaded to
       another album share them.  Rows go first, objects second: a crash in between leaves only
       unreferenced objects, which the next run removes.  A photo deleted less than
       ``retention`` ago keeps everything and can still be restored by an editor from the
       album's bin (Deleted photos); uploading the same bytes again does not restore it (409),
       but once it is purged here the same bytes are a new upload.
    2. **Unreferenced objects** under ``originals/`` and ``derivatives/`` older than ``grace``
       (default 24 h) are deleted: originals left by an upload that died between the store and
       the commit, derivatives of sizes no longer configured.  The grace period protects uploads
       in flight (their original is stored a moment before their row is committed); each
       candidate is checked against the database once more right before it is deleted.
    3. **Multipart uploads** to S3 started more than ``grace`` ago are aborted (their parts cost
       storage but are invisible to listings).
    4. **Temporary upload files** in the instance ``tmp`` folder older than ``grace`` (left by a
       killed web worker) are removed.

    A ``grace`` shorter than the longest upload is only safe while nothing is being uploaded.
    Every deletion is logged (logger ``gallery.gc``) and reported through ``report`` (one line per
    deletion on stdout in the CLI).  ``dry_run`` changes nothing and reports what would be done.

Objects outside ``originals/`` and ``derivatives/`` are never touched.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gallery.core.audit import SYSTEM, Actor, record
from gallery.core.errors import ValidationError
from gallery.media.derivatives import plan_sizes
from gallery.models import Album, Derivative, IdempotencyKey, Photo, PhotoStatus
from gallery.storage import NotFound, Storage, StoredObject

log = logging.getLogger("gallery.verify")
gc_log = logging.getLogger("gallery.gc")

TRACKED_PREFIXES = ("originals/", "derivatives/")
DEFAULT_GRACE = timedelta(hours=24)
DEFAULT_RETENTION = timedelta(days=30)
VERIFY_BATCH = 50
VERIFY_BATCH_SECONDS = 5.0
TMP_PATTERNS = ("upload-*.part", "original-*")

Report = Callable[[str], None]

_DURATION_RE = re.compile(r"(\d{1,9})([smhdw])")
_DURATION_FULL_RE = re.compile(r"(?:\d{1,9}[smhdw])+")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def parse_duration(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w``, ``0s`` or combinations such as ``1d12h``."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not _DURATION_FULL_RE.fullmatch(raw):
        raise ValidationError(
            f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 30m, 24h or 7d",
            field="duration",
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_RE.findall(raw))
    if seconds > 100 * 365 * 86400:
        raise ValidationError(f"{text!r} is longer than 100 years", field="duration")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---------------------------------------------------------------------------------------------
# verify


@dataclass(frozen=True)
class Problem:
    """An original that is missing from the store, or whose bytes changed."""

    kind: str  # "missing" | "changed"
    photo_id: int
    album: str
    key: str
    expected_sha256: str
    expected_size: int
    actual_sha256: str | None = None
    actual_size: int | None = None

    def describe(self) -> str:
        where = f"photo {self.photo_id} (album {self.album}) {self.key}"
        if self.kind == "missing":
            return f"MISSING {where}: expected sha256 {self.expected_sha256} ({self.expected_size} bytes), no object stored"
        return (
            f"CHANGED {where}: expected sha256 {self.expected_sha256} ({self.expected_size} bytes), "
            f"actual sha256 {self.actual_sha256} ({self.actual_size} bytes)"
        )


@dataclass
class VerifyReport:
    photos_checked: int = 0
    objects_checked: int = 0
    bytes_read: int = 0
    verified: int = 0
    problems: list[Problem] = field(default_factory=list)
    untracked: list[StoredObject] = field(default_factory=list)
    untracked_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Target:
    photo_id: int
    album: str
    key: str
    sha256: str
    size: int


def verification_targets(session: Session, *, album: Album | None = None, sample: int | None = None) -> dict[str, list[_Target]]:
    """The originals to check, by storage key (an original shared by several photos is read once).

    With ``sample``, the ``sample`` photos verified longest ago (never verified first)."""
    if sample is not None and sample < 1:
        raise ValidationError("--sample must be at least 1", field="sample")
    query = select(Photo.id, Album.slug, Photo.original_key, Photo.sha256, Photo.size).join(
        Album, Album.id == Photo.album_id
    )
    if album is not None:
        query = query.where(Photo.album_id == album.id)
    if sample is not None:
        query = query.order_by(Photo.last_verified_at.is_not(None), Photo.last_verified_at, Photo.id).limit(sample)
    rows = sorted((_Target(*row) for row in session.execute(query)), key=lambda t: (t.key, t.photo_id))
    session.rollback()  # end the read snapshot: hashing takes long, hold no transaction
    by_key: dict[str, list[_Target]] = {}
    for target in rows:
        by_key.setdefault(target.key, []).append(target)
    return by_key


def _hash_object(storage: Storage, key: str) -> tuple[str, int] | None:
    """SHA-256 and size of a stored object, streamed; ``None`` if it does not exist."""
    try:
        chunks = storage.iter_bytes(key)
    except NotFound:
        return None
    digest = hashlib.sha256()
    size = 0
    with chunks:  # type: ignore[attr-defined]
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _row_still_there(session: Session, photo_id: int, key: str) -> bool:
    found = session.scalar(select(Photo.id).where(Photo.id == photo_id, Photo.original_key == key))
    session.rollback()
    return found is not None


def _mark_verified(session: Session, ids: list[int], when: datetime) -> None:
    if not ids:
        return
    session.execute(
        update(Photo)
        .where(Photo.id.in_(ids))
        # Only this column: updated_at is set to itself so its onupdate default does not fire.
        .values(last_verified_at=when, updated_at=Photo.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def referenced_keys(session: Session, prefix: str) -> set[str]:
    keys: set[str] = set()
    if prefix.startswith("originals/"):
        keys.update(session.scalars(select(Photo.original_key).where(Photo.original_key.startswith(prefix))))
    if prefix.startswith("derivatives/"):
        keys.update(session.scalars(select(Derivative.key).where(Derivative.key.startswith(prefix))))
    return keys


def is_referenced(session: Session, key: str) -> bool:
    query = select(
        or_(
            exists(select(Photo.id).where(Photo.original_key == key)),
            exists(select(Derivative.id).where(Derivative.key == key)),
        )
    )
    return bool(session.scalar(query))


def find_untracked(session: Session, storage: Storage) -> list[StoredObject]:
    """Objects under ``originals/`` and ``derivatives/`` that no row refers to.

    The store is listed *before* the references are read, so an upload committed meanwhile is
    never reported (an upload still between its store and its commit may be; ``gc`` has a grace
    period for that)."""
    found: list[StoredObject] = []
    for prefix in TRACKED_PREFIXES:
        listed = list(storage.list(prefix))
        refs = referenced_keys(session, prefix)
        session.rollback()
        found.extend(obj for obj in listed if obj.key not in refs)
    return found


def verify_archive(
    session: Session,
    storage: Storage,
    targets: dict[str, list[_Target]],
    *,
    check_untracked: bool = True,
    on_object: Callable[[int], None] | None = None,
    batch_size: int = VERIFY_BATCH,
) -> VerifyReport:
    """Re-hash the originals in ``targets`` (see :func:`verification_targets`) against the
    database, record ``last_verified_at`` for those that match, and (``check_untracked``) list
    the objects no row refers to.  Storage failures other than a missing object are raised."""
    report = VerifyReport()
    pending: list[int] = []
    last_commit = time.monotonic()
    for key, group in targets.items():
        result = _hash_object(storage, key)
        when = _now()
        report.objects_checked += 1
        report.photos_checked += len(group)
        if result is not None:
            report.bytes_read += result[1]
        for target in group:
            if result is None:
                if not _row_still_there(session, target.photo_id, key):
                    continue  # purged by gc while we were reading: not a problem
                problem = Problem("missing", target.photo_id, target.album, key, target.sha256, target.size)
            elif result != (target.sha256, target.size):
                problem = Problem(
                    "changed", target.photo_id, target.album, key, target.sha256, target.size, result[0], result[1]
                )
            else:
                pending.append(target.photo_id)
                report.verified += 1
                continue
            log.error("verify: %s", problem.describe())
            report.problems.append(problem)
        if len(pending) >= batch_size or (pending and time.monotonic() - last_commit > VERIFY_BATCH_SECONDS):
            _mark_verified(session, pending, when)
            pending = []
            last_commit = time.monotonic()
        if on_object:
            on_object(1)
    _mark_verified(session, pending, _now())
    if check_untracked:
        report.untracked = find_untracked(session, storage)
        report.untracked_checked = True
    return report


# ---------------------------------------------------------------------------------------------
# gc


@dataclass
class GcReport:
    dry_run: bool
    purged_photos: list[int] = field(default_factory=list)
    deleted_objects: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    aborted_uploads: int = 0
    removed_tmp_files: list[str] = field(default_factory=list)


def _say(report: Report | None, message: str, *, dry_run: bool) -> None:
    gc_log.info("%s%s", "dry run: " if dry_run else "", message)
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
    cutoff = (now or _now()) - retention
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
            shared = set(
                session.scalars(select(Photo.original_key).where(Photo.id != photo.id, Photo.original_key.in_(keys)))
            ) | set(
                session.scalars(select(Derivative.key).where(Derivative.photo_id != photo.id, Derivative.key.in_(keys)))
            )
            session.rollback()
            for key in keys:
                if key not in shared:
                    size = _object_size(storage, key)
                    if size is not None:
                        _delete_object(storage, key, size, f"belongs only to purged {label}", result, report)
            result.purged_photos.append(photo_id)
            continue
        record(
            session,
            "photo.purge",
            actor=actor,
            obj=photo,
            details={
                "album": photo.album.slug,
                "sha256": photo.sha256,
                "filename": photo.original_filename,
                "deleted_at": photo.deleted_at.isoformat(),
            },
        )
        # Clear what refers to the photo explicitly (SQLite cannot enforce the cover's FK).
        session.execute(
            update(Album).where(Album.cover_photo_id == photo.id).values(cover_photo_id=None, updated_at=Album.updated_at)
        )
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.photo_id == photo.id))
        session.delete(photo)
        session.commit()
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
    cutoff = (now or _now()) - grace
    for obj in find_untracked(session, storage):
        if obj.last_modified > cutoff:
            _say(report, f"kept {obj.key}: unreferenced but younger than the grace period", dry_run=result.dry_run)
            continue
        if is_referenced(session, obj.key):  # committed since the listing
            session.rollback()
            continue
        session.rollback()
        _delete_object(storage, obj.key, obj.size, "no row refers to it", result, report)


def abort_stale_uploads(storage: Storage, *, grace: timedelta, result: GcReport, report: Report | None = None) -> None:
    abort = getattr(storage, "abort_stale_multipart_uploads", None)
    if not callable(abort):
        return
    if result.dry_run:
        _say(report, f"would abort multipart uploads started more than {format_duration(grace)} ago", dry_run=True)
        return
    count = int(abort(grace))
    result.aborted_uploads = count
    if count:
        _say(report, f"aborted {count} stale multipart upload(s)", dry_run=False)


def remove_stale_tmp_files(
    tmp_dir: Path, *, grace: timedelta, result: GcReport, report: Report | None = None, now: datetime | None = None
) -> None:
    if not tmp_dir.is_dir():
        return
    cutoff = ((now or _now()) - grace).timestamp()
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
    retention: timedelta = DEFAULT_RETENTION,
    dry_run: bool = False,
    tmp_dir: Path | None = None,
    report: Report | None = None,
    now: datetime | None = None,
) -> GcReport:
    """Run every ``gc`` step in order; see the module docstring for the policy."""
    result = GcReport(dry_run=dry_run)
    purge_deleted_photos(session, storage, retention=retention, result=result, report=report, now=now)
    remove_unreferenced_objects(session, storage, grace=grace, result=result, report=report, now=now)
    abort_stale_uploads(storage, grace=grace, result=result, report=report)
    if tmp_dir is not None:
        remove_stale_tmp_files(tmp_dir, grace=grace, result=result, report=report, now=now)
    return result


# ---------------------------------------------------------------------------------------------
# reprocess


def derivatives_match(photo: Photo, sizes: Sequence[int]) -> bool:
    """Whether the photo's derivative rows are exactly those ``sizes`` produce: the same pixel
    widths in both formats (derivatives are keyed by width; sizes that come out the same for a
    small photo are rendered once)."""
    if photo.width <= 0 or photo.height <= 0:
        return False
    planned = plan_sizes(photo.width, photo.height, list(sizes))
    wanted = {(fmt, p.width) for p in planned for fmt in ("jpeg", "webp")}
    have = {(d.format, d.width) for d in photo.derivatives}
    return have == wanted and len(photo.derivatives) == len(have)


def photos_to_reprocess(
    session: Session, *, album: Album | None, sizes: Sequence[int], everything: bool
) -> list[int]:
    """Photos whose derivatives need (re)making: failed or unfinished ones, ready ones whose
    derivatives do not match ``sizes`` (after the sizes changed), or every photo with
    ``everything``.  Deleted photos are skipped.  A run that was interrupted finds only what
    is left (unless ``everything``)."""
    query = select(Photo).where(Photo.deleted_at.is_(None)).order_by(Photo.id)
    if album is not None:
        query = query.where(Photo.album_id == album.id)
    ids: list[int] = []
    for photo in session.scalars(query.options(selectinload(Photo.derivatives))).yield_per(500):
        if (
            everything
            or photo.status in (PhotoStatus.failed, PhotoStatus.processing)
            or not derivatives_match(photo, sizes)
        ):
            ids.append(photo.id)
    session.rollback()
    return ids


def remaining_work(session: Session, ids: Sequence[int], sizes: Sequence[int]) -> tuple[list[int], dict[str, int]]:
    """Which of ``ids`` are not finished yet (for the progress of queued work), and a count of
    the finished ones by status."""
    left: list[int] = []
    done: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = session.scalars(select(Photo).where(Photo.id.in_(chunk)).options(selectinload(Photo.derivatives)))
        seen = set()
        for photo in rows:
            seen.add(photo.id)
            if photo.status == PhotoStatus.failed:
                done["failed"] = done.get("failed", 0) + 1
            elif photo.status == PhotoStatus.ready and derivatives_match(photo, sizes):
                done["ready"] = done.get("ready", 0) + 1
            else:
                left.append(photo.id)
        vanished = len(set(chunk) - seen)
        if vanished:
            done["missing"] = done.get("missing", 0) + vanished
    session.rollback()
    return left, done
