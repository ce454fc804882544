"""``gallery verify``: re-hash every original in the store against its row.

Streams every original from the store, re-hashes it and compares SHA-256 and size with the row.
Reports *missing* and *changed* originals (each named: photo id, album, key, expected and actual
hash) and *untracked* objects (under ``originals/`` or ``derivatives/`` with no row referring to
them, see :mod:`gallery.archive.references`; they are listed for ``gc`` and are not an error).
``last_verified_at`` is recorded for every photo whose original matched, committed in small
batches; nothing else is written (``updated_at`` is left alone), so it is safe to run on a live
system.  With ``sample`` only the N photos verified longest ago (never-verified first) are
checked, so a nightly ``verify --sample 500`` walks the whole archive over time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gallery.archive.references import find_untracked
from gallery.core.errors import ValidationError
from gallery.models import Album, Photo, utcnow
from gallery.storage import NotFound, Storage, StoredObject

log = logging.getLogger("gallery.verify")

VERIFY_BATCH = 50
VERIFY_BATCH_SECONDS = 5.0


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
            expected = f"expected sha256 {self.expected_sha256} ({self.expected_size} bytes)"
            return f"MISSING {where}: {expected}, no object stored"
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
class Target:
    """One photo whose original is to be checked."""

    photo_id: int
    album: str
    key: str
    sha256: str
    size: int


def verification_targets(
    session: Session, *, album: Album | None = None, sample: int | None = None
) -> dict[str, list[Target]]:
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
    rows = sorted((Target(*row) for row in session.execute(query)), key=lambda t: (t.key, t.photo_id))
    session.rollback()  # end the read snapshot: hashing takes long, hold no transaction
    by_key: dict[str, list[Target]] = {}
    for target in rows:
        by_key.setdefault(target.key, []).append(target)
    return by_key


def hash_object(storage: Storage, key: str) -> tuple[str, int] | None:
    """SHA-256 and size of a stored object, streamed; ``None`` if it does not exist."""
    try:
        chunks = storage.iter_bytes(key)
    except NotFound:
        return None
    digest = hashlib.sha256()
    size = 0
    with chunks:
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


def _problem(session: Session, target: Target, found: tuple[str, int] | None) -> Problem | None:
    """What is wrong with ``target`` given what the store holds (``None``: nothing)."""
    if found is None:
        if not _row_still_there(session, target.photo_id, target.key):
            return None  # purged by gc while we were reading: not a problem
        return Problem("missing", target.photo_id, target.album, target.key, target.sha256, target.size)
    if found != (target.sha256, target.size):
        return Problem(
            "changed", target.photo_id, target.album, target.key, target.sha256, target.size, found[0], found[1]
        )
    return None


def verify_archive(
    session: Session,
    storage: Storage,
    targets: dict[str, list[Target]],
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
        found = hash_object(storage, key)
        when = utcnow()
        report.objects_checked += 1
        report.photos_checked += len(group)
        if found is not None:
            report.bytes_read += found[1]
        for target in group:
            if found == (target.sha256, target.size):
                pending.append(target.photo_id)
                report.verified += 1
                continue
            problem = _problem(session, target, found)
            if problem is not None:
                log.error("verify: %s", problem.describe())
                report.problems.append(problem)
        if len(pending) >= batch_size or (pending and time.monotonic() - last_commit > VERIFY_BATCH_SECONDS):
            _mark_verified(session, pending, when)
            pending = []
            last_commit = time.monotonic()
        if on_object:
            on_object(1)
    _mark_verified(session, pending, utcnow())
    if check_untracked:
        report.untracked = find_untracked(session, storage)
        report.untracked_checked = True
    return report
