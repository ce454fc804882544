"""Bulk import of files from disk (``gallery import``): each file goes through
:func:`gallery.photos.receive.receive`, several at a time, resumable (already-stored files are
recognised by hash)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from gallery.config import Settings
from gallery.core.audit import Actor
from gallery.core.errors import GalleryError, PhotoDeleted
from gallery.extensions import db
from gallery.media.budget import waiting_without_limit
from gallery.models import Album, Photo, User
from gallery.photos.cards import SKIPPED_FAMILIES, SYSTEM_FILES, plan_card, skipped_kind
from gallery.photos.process import publish_progressively
from gallery.photos.receive import receive
from gallery.photos.received import hash_local
from gallery.storage import Storage, StorageError

log = logging.getLogger("gallery.import")

__all__ = ["SKIPPED_FAMILIES", "SYSTEM_FILES", "collect_files", "import_one", "run_import", "skipped_kind"]

HIDDEN_REASON = "hidden system file"


@dataclass(frozen=True)
class FileResult:
    path: Path
    # added | exists | deleted (deleted from the album earlier, not restored) | rejected |
    # skipped (not a photo: a video, raw file, sidecar, system file ... that a card holds beside them)
    outcome: str
    photo_id: int | None = None
    reason: str = ""
    status: str = ""


@dataclass
class ImportSummary:
    added: list[FileResult] = field(default_factory=list)
    exists: list[FileResult] = field(default_factory=list)
    deleted: list[FileResult] = field(default_factory=list)
    rejected: list[FileResult] = field(default_factory=list)
    skipped: list[FileResult] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        getattr(self, result.outcome).append(result)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.exists) + len(self.deleted) + len(self.rejected) + len(self.skipped)


def collect_files(paths: Iterable[Path], *, hidden: list[Path] | None = None) -> list[Path]:
    """Every regular, non-hidden file under the given files and folders, sorted, deduplicated.
    Hidden files and folders met on the way (``.DS_Store``, ``._IMG_1.JPG``, ``.Trashes``) are
    appended to ``hidden``, when given, for the summary to list."""
    found: dict[Path, None] = {}
    for root in paths:
        if root.is_file():
            found[root.resolve()] = None
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such file or folder")
        for folder, dirs, files in os.walk(root):
            if hidden is not None:
                hidden.extend(Path(folder) / d for d in sorted(dirs) if d.startswith("."))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    if hidden is not None:
                        hidden.append(Path(folder) / name)
                    continue
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    found[path.resolve()] = None
    return list(found)


#: Enters what one file's work needs (the CLI passes ``app.app_context``): a database session of its own.
Context = Callable[[], AbstractContextManager[object]]


def import_one(
    path: Path,
    *,
    album_id: int,
    actor_user_id: int | None,
    settings: Settings,
    storage: Storage,
    context: Context,
    queue: Callable[[int], object] | None,
    skip_reason: str | None = None,
    texts: Mapping[str, object] | None = None,
    allow_raw: bool = False,
) -> FileResult:
    """Receive one file in its own context and session (safe in a thread).  New photos, and
    those an interrupted run left ``processing``, get their derivatives: queued with ``queue``
    when a broker takes them, else rendered here.  ``skip_reason``, ``texts`` and ``allow_raw``
    come from the run's :class:`~gallery.photos.cards.CardPlan`."""
    if skip_reason is not None:
        return FileResult(path, "skipped", reason=skip_reason)
    with context():
        session = db.session()

        def render_now(photo_id: int) -> str:
            return publish_progressively(
                session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )

        try:
            album = session.get(Album, album_id)
            assert album is not None
            user = session.get(User, actor_user_id) if actor_user_id else None
            receipt = receive(
                session,
                storage,
                hash_local(path, max_bytes=settings.max_upload_bytes),
                filename=path.name,
                album=album,
                actor=Actor(user=user, via="cli"),
                settings=settings,
                derivatives=queue if queue is not None else render_now,
                allow_raw=allow_raw,
                texts=texts,
            )
            outcome = "added" if receipt.created else "exists"
            return FileResult(path, outcome, photo_id=receipt.photo.id, status=receipt.photo.status.value)
        except PhotoDeleted as exc:
            # Not a failure: an editor deleted it; only the bin restores it.
            session.rollback()
            return FileResult(path, "deleted", reason=exc.message)
        except GalleryError as exc:
            session.rollback()
            return FileResult(path, "rejected", reason=exc.message)
        except OSError as exc:
            session.rollback()
            return FileResult(path, "rejected", reason=f"cannot read the file: {exc.strerror or exc}")
        finally:
            db.session.remove()


def run_import(
    files: list[Path],
    *,
    album: Album,
    actor_user_id: int | None,
    settings: Settings,
    storage: Storage,
    context: Context,
    queue: Callable[[int], object] | None = None,
    jobs: int = 1,
    on_result: Callable[[FileResult], None] | None = None,
    raw: bool = False,
    hidden: Sequence[Path] = (),
) -> ImportSummary:
    """Import ``files`` into ``album`` with ``jobs`` workers, each file in its own ``context``.
    Derivatives go to ``queue`` (a broker's workers) or, without one, are rendered here.
    Storage outages abort the run (re-running resumes); bad files are rejected and reported.
    What is not a photo is skipped and listed with its reason (:func:`gallery.photos.cards.plan_card`:
    videos, sidecars — whose texts go to their photo —, raw files unless ``raw``, and the
    ``hidden`` files ``collect_files`` found)."""
    summary = ImportSummary()
    album_id = album.id
    plan = plan_card(files, raw=raw)
    for path in hidden:
        result = FileResult(path, "skipped", reason=HIDDEN_REASON)
        summary.add(result)
        if on_result:
            on_result(result)

    def work(path: Path) -> FileResult:
        # Jobs take turns in the decoding budget; nobody is waiting for a 503 here.
        with waiting_without_limit():
            return import_one(
                path,
                album_id=album_id,
                actor_user_id=actor_user_id,
                settings=settings,
                storage=storage,
                context=context,
                queue=queue,
                skip_reason=plan.skip.get(path),
                texts=plan.texts.get(path),
                allow_raw=path in plan.raw,
            )

    results: Iterator[FileResult]
    if jobs <= 1:
        results = (work(p) for p in files)
        for result in results:
            summary.add(result)
            if on_result:
                on_result(result)
        return summary
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="import") as pool:
        try:
            for result in pool.map(work, files):
                summary.add(result)
                if on_result:
                    on_result(result)
        except StorageError:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return summary


def photo_count(album_id: int) -> int:
    from sqlalchemy import func, select

    return int(db.session.scalar(select(func.count(Photo.id)).where(Photo.album_id == album_id)) or 0)
