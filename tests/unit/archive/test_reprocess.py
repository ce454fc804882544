"""`gallery reprocess [--album] [--sizes] [--all]`: failed, unfinished and outdated photos get
their derivatives again; an interrupted run resumes where it stopped."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from gallery.archive import reprocess
from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from gallery.photos import process
from tests.archive.conftest import (
    add_photo,
    cli,
    consistency_problems,
    jpeg,
    make_album,
)


def _widths(photo_id: int) -> set[tuple[str, int]]:
    db.session.rollback()
    photo = db.session.get(Photo, photo_id)
    return {(d.format, d.width) for d in photo.derivatives}


def test_new_sizes_are_rendered_and_a_second_run_has_nothing_to_do(app, client, tokens, album):
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(i, (1100, 700))) for i in range(2)]
    assert _widths(ids[0]) == {(f, w) for f in ("jpeg", "webp") for w in (400, 1024, 1100)}
    assert reprocess.photos_to_reprocess(db.session, album=None, sizes=(400, 1024, 2048), everything=False) == []

    result = cli(app, "reprocess", "--sizes", "300,800")
    assert result.exit_code == 0, result.output
    assert "2 photo(s) to reprocess at sizes 300,800" in result.stdout and "ready: 2" in result.stdout
    assert all(_widths(i) == {(f, w) for f in ("jpeg", "webp") for w in (300, 800)} for i in ids)

    again = cli(app, "reprocess", "--sizes", "800,300")
    assert again.exit_code == 0 and "nothing to reprocess" in again.stdout
    # Back to the configured sizes (GALLERY_DERIVATIVE_SIZES): everything is outdated again.
    back = cli(app, "reprocess")
    assert back.exit_code == 0 and "2 photo(s) to reprocess at sizes 400,1024,2048" in back.stdout
    assert cli(app, "gc", "--grace", "0s").exit_code == 0
    assert consistency_problems(app) == []


def test_an_interrupted_run_resumes_with_what_is_left(app, client, tokens, album, monkeypatch):
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(10 + i)) for i in range(4)]
    real = process.process_photo
    done: list[int] = []

    def stop_after_two(session, storage, photo_id, **kwargs):
        if len(done) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the run
        done.append(photo_id)
        return real(session, storage, photo_id, **kwargs)

    monkeypatch.setattr(process, "process_photo", stop_after_two)
    interrupted = cli(app, "reprocess", "--sizes", "200")
    assert interrupted.exit_code != 0
    monkeypatch.setattr(process, "process_photo", real)
    assert sum(_widths(i) == {("jpeg", 200), ("webp", 200)} for i in ids) == 2

    resumed = cli(app, "reprocess", "--sizes", "200")
    assert resumed.exit_code == 0, resumed.output
    assert "2 photo(s) to reprocess" in resumed.stdout
    assert all(_widths(i) == {("jpeg", 200), ("webp", 200)} for i in ids)


def test_failed_and_unfinished_photos_are_retried_per_album(app, client, tokens):
    first = make_album("first")
    make_album("second", event_slug="first-event")
    a = add_photo(client, tokens["editor"], first.slug, jpeg(20))
    b = add_photo(client, tokens["editor"], "second", jpeg(21))
    db.session.execute(update(Photo).where(Photo.id.in_([a, b])).values(status=PhotoStatus.failed, error="x"))
    db.session.commit()

    result = cli(app, "reprocess", "--album", "first")
    assert result.exit_code == 0, result.output
    assert "1 photo(s) to reprocess" in result.stdout
    db.session.rollback()
    assert db.session.get(Photo, a).status == PhotoStatus.ready and db.session.get(Photo, a).error is None
    assert db.session.get(Photo, b).status == PhotoStatus.failed
    everything = cli(app, "reprocess", "--all")
    assert everything.exit_code == 0 and "2 photo(s) to reprocess" in everything.stdout


def test_a_photo_that_still_fails_exits_1(app, client, tokens, album):
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(30))
    photo = db.session.get(Photo, photo_id)
    path = app.extensions["gallery_storage"].local_path(photo.original_key)
    path.write_bytes(path.read_bytes()[:300])  # the original is damaged: rendering fails
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(status=PhotoStatus.failed))
    db.session.commit()
    result = cli(app, "reprocess")
    assert result.exit_code == 1 and "failed: 1" in result.stdout


@pytest.mark.parametrize("sizes", ["big", "0", "400,,x", "99999"])
def test_bad_sizes_are_refused(app, sizes):
    result = cli(app, "reprocess", "--sizes", sizes)
    assert result.exit_code == 1 and "--sizes" in result.output
