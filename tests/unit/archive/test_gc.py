"""`gallery gc`: unreferenced objects past the grace period, photos deleted past retention,
stale multipart uploads and temporary files; every deletion reported; --dry-run changes nothing."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from gallery.archive import gc
from gallery.extensions import db
from gallery.models import Album, AuditLog, Derivative, Photo
from tests.archive.conftest import (
    add_photo,
    cli,
    consistency_problems,
    jpeg,
    make_album,
    storage_of,
    stored_keys,
)


def _orphan(app, seed: int) -> str:
    data = jpeg(seed)
    sha = hashlib.sha256(data).hexdigest()
    key = f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    storage_of(app).put(key, io.BytesIO(data), sha256=sha, content_type="image/jpeg")
    return key


def _age(app, key: str, seconds: float) -> None:
    path = storage_of(app).local_path(key)
    assert path is not None
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_unreferenced_objects_older_than_grace_are_deleted(app, client, tokens, album):
    kept_photo = add_photo(client, tokens["editor"], album.slug, jpeg(1))
    old = _orphan(app, 2)
    young = _orphan(app, 3)
    _age(app, old, 3 * 3600)

    dry = cli(app, "gc", "--grace", "2h", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would delete {old}" in dry.stdout and young not in dry.stdout.replace(f"kept {young}", "")
    assert old in stored_keys(app)  # nothing changed

    result = cli(app, "gc", "--grace", "2h")
    assert result.exit_code == 0, result.output
    assert f"deleted {old}" in result.stdout and "no row refers to it" in result.stdout
    assert f"kept {young}" in result.stdout
    keys = stored_keys(app)
    assert old not in keys and young in keys
    photo = db.session.get(Photo, kept_photo)
    assert photo is not None and photo.original_key in keys and all(d.key in keys for d in photo.derivatives)

    assert cli(app, "gc", "--grace", "0s").exit_code == 0
    assert young not in stored_keys(app)
    assert consistency_problems(app) == []


def test_photos_deleted_past_retention_are_purged_unless_shared(app, client, tokens):
    make_album("one")
    make_album("two", event_slug="one-event")
    shared = jpeg(10)
    gone = add_photo(client, tokens["editor"], "one", jpeg(11))  # deleted 40 days ago, bytes used nowhere else
    shared_deleted = add_photo(client, tokens["editor"], "one", shared)  # deleted 40 days ago, same bytes in "two"
    shared_live = add_photo(client, tokens["editor"], "two", shared)
    recent = add_photo(client, tokens["editor"], "one", jpeg(12))  # deleted yesterday: still restorable
    album = db.session.scalar(select(Album).where(Album.slug == "one"))
    album.cover_photo_id = gone
    now = datetime.now(UTC)
    for photo_id, when in (
        (gone, now - timedelta(days=40)),
        (shared_deleted, now - timedelta(days=40)),
        (recent, now - timedelta(days=1)),
    ):
        db.session.get(Photo, photo_id).deleted_at = when
    db.session.commit()
    gone_keys = [db.session.get(Photo, gone).original_key] + [d.key for d in db.session.get(Photo, gone).derivatives]
    shared_keys = [db.session.get(Photo, shared_live).original_key] + [
        d.key for d in db.session.get(Photo, shared_live).derivatives
    ]
    recent_keys = [db.session.get(Photo, recent).original_key] + [
        d.key for d in db.session.get(Photo, recent).derivatives
    ]
    db.session.rollback()

    dry = cli(app, "gc", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would purge photo {gone} " in dry.stdout and f"would purge photo {shared_deleted} " in dry.stdout
    assert all(f"would delete {k}" in dry.stdout for k in gone_keys)
    assert not any(k in dry.stdout for k in shared_keys + recent_keys)
    assert db.session.scalar(select(func.count(Photo.id))) == 4

    result = cli(app, "gc")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.get(Photo, gone) is None and db.session.get(Photo, shared_deleted) is None
    assert db.session.get(Photo, shared_live) is not None and db.session.get(Photo, recent) is not None
    assert (
        db.session.scalar(select(func.count(Derivative.id)).where(Derivative.photo_id.in_([gone, shared_deleted]))) == 0
    )
    assert db.session.scalar(select(Album.cover_photo_id).where(Album.slug == "one")) is None
    keys = stored_keys(app)
    assert not any(k in keys for k in gone_keys)
    assert all(k in keys for k in shared_keys + recent_keys)
    purges = db.session.scalars(select(AuditLog).where(AuditLog.action == "photo.purge")).all()
    assert sorted(int(p.object_id) for p in purges) == sorted([gone, shared_deleted])
    assert "2 photo(s) purged" in result.stdout
    assert consistency_problems(app) == []

    # Nothing left to do: a second run deletes nothing.
    again = cli(app, "gc")
    assert "0 photo(s) purged, 0 object(s) deleted" in again.stdout


def test_retention_is_configurable(app, client, tokens, album):
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(20))
    db.session.get(Photo, photo_id).deleted_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    assert cli(app, "gc").exit_code == 0
    assert db.session.get(Photo, photo_id) is not None
    assert cli(app, "gc", "--retention", "1d").exit_code == 0
    db.session.rollback()
    assert db.session.get(Photo, photo_id) is None
    assert consistency_problems(app) == []


def test_stale_derivatives_after_a_size_change_are_collected(app, client, tokens, album):
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(21, (1200, 800)))
    before = {d.key for d in db.session.get(Photo, photo_id).derivatives}
    assert len(before) == 6  # 400, 1024 and 1200 (never upscaled) px wide, JPEG and WebP
    db.session.rollback()

    result = cli(app, "reprocess", "--sizes", "400")
    assert result.exit_code == 0, result.output
    after = {d.key for d in db.session.get(Photo, photo_id).derivatives}
    assert {(d.format, d.width) for d in db.session.get(Photo, photo_id).derivatives} == {("jpeg", 400), ("webp", 400)}
    db.session.rollback()
    assert before <= stored_keys(app)  # the old sizes are still stored ...
    result = cli(app, "gc", "--grace", "0s")
    assert result.exit_code == 0
    assert stored_keys(app, "derivatives/") == after  # ... until gc removes them
    assert result.stdout.count("deleted derivatives/") == 4
    assert consistency_problems(app) == []


def test_stale_temporary_files_are_removed(app):
    tmp = app.config["GALLERY_SETTINGS"].instance_path / "tmp"
    old = tmp / "upload-old.part"
    new = tmp / "upload-new.part"
    other = tmp / "notes.txt"
    for path in (old, new, other):
        path.write_bytes(b"partial upload")
    stamp = time.time() - 2 * 86400
    os.utime(old, (stamp, stamp))
    os.utime(other, (stamp, stamp))
    result = cli(app, "gc")
    assert result.exit_code == 0, result.output
    assert not old.exists() and new.exists() and other.exists()
    assert f"removed temporary file {old}" in result.stdout


def test_bad_grace_is_a_usage_error(app):
    result = cli(app, "gc", "--grace", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a duration" in result.output


def test_an_upload_committed_after_the_listing_is_not_deleted(app, client, tokens, album, monkeypatch):
    """The race gc guards against: an object unreferenced when listed gets its row a moment
    later (an upload between its store and its commit).  gc checks again before deleting."""
    key = _orphan(app, 30)
    _age(app, key, 3600)
    real_find = gc.find_untracked

    def find_then_commit(session, storage):
        found = real_find(session, storage)
        add_photo(client, tokens["editor"], album.slug, jpeg(30))  # the same bytes: now referenced
        return found

    monkeypatch.setattr(gc, "find_untracked", find_then_commit)
    result = gc.collect_garbage(db.session, storage_of(app), grace=timedelta(0))
    assert key not in result.deleted_objects
    assert key in stored_keys(app)
    assert consistency_problems(app) == []


def test_s3_multipart_uploads_are_aborted_and_objects_collected(make_instance, moto_endpoint, monkeypatch):
    from tests.storage.s3server import make_s3_storage, moto_env

    for name, value in moto_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(moto_endpoint).bucket
    app = make_instance(GALLERY_STORAGE_URL=f"s3://{bucket}/media")
    with app.app_context():
        storage = storage_of(app)
        orphan = _orphan(app, 40)
        client = storage.client
        client.create_multipart_upload(Bucket=bucket, Key="media/originals/sha256/aa/bb/unfinished")
        assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1

        dry = cli(app, "gc", "--grace", "0s", "--dry-run")
        assert "would abort multipart uploads" in dry.stdout and f"would delete {orphan}" in dry.stdout
        assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1
        assert orphan in stored_keys(app)

        time.sleep(1.1)  # S3 times have a resolution of one second
        result = cli(app, "gc", "--grace", "0s")
        assert result.exit_code == 0, result.output
        assert "aborted 1 stale multipart upload(s)" in result.stdout
        assert f"deleted {orphan}" in result.stdout
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        assert orphan not in stored_keys(app)
