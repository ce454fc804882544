"""Photos waiting for their derivatives: when a photo counts as stuck in ``processing``, and
handing it to the renderer again.

A photo enters ``processing`` when it is uploaded or re-queued (``Photo.processing_since``).
Its derivative work can die without a trace: a ``kill -9`` of the web or CLI process that
rendered in-process, a broker that lost the task.  Such a photo stays ``processing`` with
nothing queued.  It is *stuck* once it has been processing longer than ``stuck_after``
(``gallery verify --stuck-after``, default 30 minutes); ``gallery reprocess --stuck`` and a
re-upload of the same bytes hand it to the renderer again (derivative work is idempotent)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gallery.models import Album, Photo, PhotoStatus

log = logging.getLogger("gallery.processing")

DEFAULT_STUCK_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class StuckPhoto:
    photo_id: int
    album: str
    filename: str
    since: datetime

    def describe(self, now: datetime | None = None) -> str:
        minutes = int(((now or datetime.now(UTC)) - self.since).total_seconds() // 60)
        return (
            f"STUCK photo {self.photo_id} (album {self.album}) {self.filename!r}: processing since "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC ({minutes} min) with no derivatives; "
            "`gallery reprocess --stuck` hands it to the renderer again"
        )


def stuck_photos(
    session: Session,
    *,
    stuck_after: timedelta = DEFAULT_STUCK_AFTER,
    album: Album | None = None,
    now: datetime | None = None,
) -> list[StuckPhoto]:
    """Photos (not deleted) that entered ``processing`` more than ``stuck_after`` ago, oldest first."""
    cutoff = (now or datetime.now(UTC)) - stuck_after
    entered = func.coalesce(Photo.processing_since, Photo.created_at)  # a row from before the column
    query = (
        select(Photo.id, Album.slug, Photo.original_filename, entered)
        .join(Album, Album.id == Photo.album_id)
        .where(Photo.status == PhotoStatus.processing, Photo.deleted_at.is_(None), entered < cutoff)
        .order_by(entered, Photo.id)
    )
    if album is not None:
        query = query.where(Photo.album_id == album.id)
    found = [StuckPhoto(*row) for row in session.execute(query)]
    session.rollback()
    return found


def restart_processing(session: Session, photo_ids: Iterable[int]) -> None:
    """The photos are handed to the renderer again: ``processing`` from now on (failed ones too).
    Commits.  The caller queues the work."""
    ids = list(photo_ids)
    now = datetime.now(UTC)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            update(Photo)
            .where(Photo.id.in_(chunk), Photo.status.in_((PhotoStatus.processing, PhotoStatus.failed)))
            .values(status=PhotoStatus.processing, processing_since=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if ids:
        log.info(
            "re-queued derivatives of photo(s) %s", ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
        )


def sweep_stuck(session: Session, *, stuck_after: timedelta, now: datetime | None = None) -> list[int]:
    """The periodic sweeper's step: every photo stuck in ``processing`` longer than ``stuck_after``
    is handed to the renderer again (``processing_since`` restarts, so it is not swept again before
    another ``stuck_after``).  Commits; returns the photo ids for the caller to queue."""
    found = stuck_photos(session, stuck_after=stuck_after, now=now)
    if not found:
        return []
    for photo in found:
        log.warning("sweeper: %s — queued again", photo.describe(now))
    ids = [photo.photo_id for photo in found]
    restart_processing(session, ids)
    return ids
