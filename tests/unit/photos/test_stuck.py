"""Photos waiting for their derivatives (gallery/photos/stuck.py): which count as stuck in ``processing``, and
handing them to the renderer again.  (A real process killed mid-render: tests/archive/test_stuck.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from gallery.photos.stuck import DEFAULT_STUCK_AFTER, StuckPhoto, restart_processing, stuck_photos, sweep_stuck
from tests.unit.manage.conftest import World, add_photo, world

__all__ = ["world"]  # the management tests' world: two events, three albums, photos by two people

NOW = datetime(2024, 5, 7, 12, 0, tzinfo=UTC)


def processing(world: World, minutes_ago: int | None, **values: object) -> int:
    since = NOW - timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    photo = add_photo(world.album, status=PhotoStatus.processing, processing_since=since, **values)
    return photo.id


def test_stuck_after_the_limit_oldest_first(app: Flask, world: World) -> None:
    recent = processing(world, 5)
    old = processing(world, 45, original_filename="late.jpg")
    older = processing(world, 120)
    processing(world, 300, deleted_at=NOW)  # deleted: nobody waits for it
    add_photo(world.album, status=PhotoStatus.failed, processing_since=NOW - timedelta(hours=9))  # not processing
    found = stuck_photos(db.session, now=NOW)
    assert [s.photo_id for s in found] == [older, old]
    assert found[1] == StuckPhoto(old, "main", "late.jpg", found[1].since)
    assert found[1].since.replace(tzinfo=UTC) == NOW - timedelta(minutes=45)
    assert [s.photo_id for s in stuck_photos(db.session, stuck_after=timedelta(minutes=1), now=NOW)] == [
        older,
        old,
        recent,
    ]
    assert timedelta(minutes=30) == DEFAULT_STUCK_AFTER


def test_rows_from_before_the_column_count_from_their_upload(app: Flask, world: World) -> None:
    legacy = processing(world, None)
    db.session.execute(
        sa.update(Photo).where(Photo.id == legacy).values(processing_since=None, created_at=NOW - timedelta(days=1))
    )
    db.session.commit()
    assert [s.photo_id for s in stuck_photos(db.session, now=NOW)] == [legacy]


def test_stuck_photos_of_one_album(app: Flask, world: World) -> None:
    here = processing(world, 60)
    elsewhere = add_photo(world.sibling, status=PhotoStatus.processing, processing_since=NOW - timedelta(hours=1))
    assert [s.photo_id for s in stuck_photos(db.session, album=world.album, now=NOW)] == [here]
    assert [s.photo_id for s in stuck_photos(db.session, album=world.sibling, now=NOW)] == [elsewhere.id]


def test_describe_says_how_long_and_what_to_do() -> None:
    stuck = StuckPhoto(7, "main", "IMG_1.jpg", NOW - timedelta(minutes=95))
    text = stuck.describe(now=NOW)
    assert text.startswith("STUCK photo 7 (album main) 'IMG_1.jpg': processing since 2024-05-07 10:25:00 UTC (95 min)")
    assert "`gallery reprocess --stuck`" in text


def test_restart_processing_restarts_processing_and_failed_photos_only(app: Flask, world: World) -> None:
    stuck = processing(world, 60)
    failed = add_photo(world.album, status=PhotoStatus.failed).id
    ready = world.editor_photos[0]
    before = datetime.now(UTC)
    restart_processing(db.session, [stuck, failed, ready])
    db.session.expire_all()
    photos = {pid: db.session.get(Photo, pid) for pid in (stuck, failed, ready)}
    assert photos[stuck].status is PhotoStatus.processing and photos[failed].status is PhotoStatus.processing  # type: ignore[union-attr]
    assert photos[ready].status is PhotoStatus.ready  # type: ignore[union-attr]
    for pid in (stuck, failed):
        since = photos[pid].processing_since  # type: ignore[union-attr]
        assert since is not None and since.replace(tzinfo=UTC) >= before - timedelta(seconds=1)
    assert stuck_photos(db.session) == []  # the clock starts again
    restart_processing(db.session, [])  # nothing to do


@pytest.mark.parametrize("count", [501])
def test_restart_processing_in_chunks(app: Flask, world: World, count: int) -> None:
    ids = [add_photo(world.album, status=PhotoStatus.failed, commit=False).id for _ in range(count)]
    db.session.commit()
    restart_processing(db.session, ids)
    remaining = db.session.scalar(sa.select(sa.func.count()).where(Photo.status == PhotoStatus.failed))
    assert remaining == 0


def test_sweep_restarts_the_stuck_ones_once(app: Flask, world: World) -> None:
    """The periodic sweeper: stuck photos are handed over again and not swept again before another limit."""
    recent = processing(world, 5)
    stuck = processing(world, 45)
    assert sweep_stuck(db.session, stuck_after=timedelta(minutes=30), now=NOW) == [stuck]
    db.session.expire_all()
    photo = db.session.get(Photo, stuck)
    assert photo is not None and photo.status == PhotoStatus.processing
    assert photo.processing_since is not None and photo.processing_since.replace(tzinfo=UTC) > NOW
    # the next sweep, ten minutes later: the restarted one waits for the work just queued, the recent one
    # is not stuck yet
    assert sweep_stuck(db.session, stuck_after=timedelta(minutes=30), now=NOW + timedelta(minutes=10)) == []
    assert sweep_stuck(db.session, stuck_after=timedelta(minutes=30), now=NOW + timedelta(minutes=26)) == [recent]
