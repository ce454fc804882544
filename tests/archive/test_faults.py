"""Faults, for real: S3 over HTTP on loopback (moto), the real Redis, real subprocesses killed
with SIGKILL.  Nothing is lost, nothing is half-written, every fault gets a clear answer."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gallery.extensions import db
from gallery.models import Derivative, Photo, PhotoStatus, Role
from tests.archive.conftest import (
    cli,
    consistency_problems,
    jpeg,
    leftover_temp_files,
    make_album,
    storage_of,
    stored_keys,
    upload,
)
from tests.archive.faults import (
    KILL_AFTER_STORE,
    Child,
    CuttableProxy,
    celery_worker,
    child_env,
    private_redis_db,
)
from tests.conftest import DATABASES, make_app, make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """AWS variables for the moto server, set for this process (and handed to children)."""
    env = moto_env(moto_endpoint)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _s3_instance(make_instance, endpoint: str, **overrides: str) -> Flask:
    bucket = make_s3_storage(endpoint).bucket
    return make_instance(
        GALLERY_STORAGE_URL=f"s3://{bucket}/media",
        GALLERY_S3_ENDPOINT_URL=endpoint,
        **overrides,
    )


def _count(model=Photo) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def _gallery_env(app: Flask, **extra: str) -> dict[str, str]:
    """The configuration of ``app`` as environment variables for a child process."""
    settings = app.config["GALLERY_SETTINGS"]
    env = {
        "GALLERY_ENV": "testing",
        "GALLERY_INSTANCE_PATH": str(settings.instance_path),
        "GALLERY_DATABASE_URL": settings.database_url,
        "GALLERY_STORAGE_URL": settings.storage_url,
        "GALLERY_SECRET_KEY": settings.secret_key,
        "GALLERY_LOG_LEVEL": "INFO",
        "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
    }
    if settings.s3_endpoint_url:
        env["GALLERY_S3_ENDPOINT_URL"] = settings.s3_endpoint_url
    env.update(extra)
    return child_env(**env)


def test_storage_endpoint_dies_mid_upload_then_a_retry_succeeds(make_instance, moto_endpoint, s3_env):
    proxy = CuttableProxy(moto_endpoint)
    proxy.start()
    try:
        app = _s3_instance(
            make_instance,
            proxy.url,
            GALLERY_S3_MAX_ATTEMPTS="2",
            GALLERY_S3_CONNECT_TIMEOUT="1",
            GALLERY_S3_READ_TIMEOUT="5",
        )
        with app.app_context():
            token = make_token(make_user(Role.editor))
            album = make_album("faults")
            client = app.test_client()
            data = jpeg(1, (640, 480))
            assert len(data) > 200_000
            proxy.cut_after(64 * 1024)  # the endpoint dies 64 KB into the upload of the original

            started = time.monotonic()
            response = upload(client, token, album.slug, data)
            assert time.monotonic() - started < 30
            assert proxy.cuts == 1
            assert response.status_code == 503, response.get_data(as_text=True)
            body = response.get_json()
            assert body["error"]["code"] == "storage_unavailable" and "nothing was saved" in body["error"]["message"]
            assert _count() == 0
            assert leftover_temp_files(app) == []
            direct = make_s3_storage(moto_endpoint, storage_of(app).bucket, "media", create=False)
            assert list(direct.list("")) == []  # no object, not even a partial one

            proxy.start()  # the endpoint is back
            retry = upload(client, token, album.slug, data)
            assert retry.status_code == 201, retry.get_data(as_text=True)
            assert _count() == 1
            sha = hashlib.sha256(data).hexdigest()
            with direct.open(f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}") as handle:
                assert handle.read() == data
            assert cli(app, "verify").exit_code == 0
            assert consistency_problems(app) == []
    finally:
        proxy.stop()


@pytest.mark.slow
def test_killed_between_store_and_commit_gc_finds_the_orphan_and_reupload_has_no_duplicate(
    make_instance, moto_endpoint, s3_env, tmp_path
):
    app = _s3_instance(make_instance, moto_endpoint)
    with app.app_context():
        token = make_token(make_user(Role.editor))
        album = make_album("killed")
        client = app.test_client()

        def killed_upload(data: bytes) -> str:
            source = tmp_path / f"{hashlib.sha256(data).hexdigest()}.jpg"
            source.write_bytes(data)
            marker = tmp_path / "stored.marker"
            marker.unlink(missing_ok=True)
            env = _gallery_env(app, KILL_MARKER=str(marker), **s3_env)
            child = Child([sys.executable, "-c", KILL_AFTER_STORE, str(source), album.slug, token], env)
            try:
                deadline = time.monotonic() + 60
                while not marker.exists():
                    assert child.proc.poll() is None, child.output
                    assert time.monotonic() < deadline, child.output
                    time.sleep(0.05)
            finally:
                child.kill()
            assert "finished" not in child.output
            return marker.read_text()

        first = jpeg(2, (480, 360))
        orphan = killed_upload(first)
        assert orphan in stored_keys(app) and _count() == 0

        listed = cli(app, "verify")
        assert listed.exit_code == 0 and f"untracked {orphan}" in listed.stdout
        kept = cli(app, "gc")  # default grace (24 h): an object this young may be an upload in flight
        assert kept.exit_code == 0 and f"kept {orphan}" in kept.stdout and orphan in stored_keys(app)
        collected = cli(app, "gc", "--grace", "0s")
        assert collected.exit_code == 0 and f"deleted {orphan}" in collected.stdout
        assert orphan not in stored_keys(app)

        reupload = upload(client, token, album.slug, first)
        assert reupload.status_code == 201, reupload.get_data(as_text=True)
        again = upload(client, token, album.slug, first)
        assert again.status_code == 200 and again.get_json()["id"] == reupload.get_json()["id"]
        assert _count() == 1

        # Killed again with other bytes, and re-uploaded before any gc: the stored object is
        # reused, one row, and gc then has nothing to delete.
        second = jpeg(3, (480, 360))
        orphan2 = killed_upload(second)
        reupload2 = upload(client, token, album.slug, second)
        assert reupload2.status_code == 201
        assert _count() == 2
        after = cli(app, "gc", "--grace", "0s")
        assert orphan2 not in after.stdout and "0 object(s) deleted" in after.stdout
        assert cli(app, "verify").exit_code == 0
        assert consistency_problems(app) == []


def test_identical_uploads_at_once_make_one_photo(make_instance, moto_endpoint, s3_env):
    app = _s3_instance(make_instance, moto_endpoint)
    with app.app_context():
        token = make_token(make_user(Role.editor))
        album = make_album("race")
        slug = album.slug
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for seed in range(3):
            data = jpeg(10 + seed, (800, 600))
            boundary = "race-boundary"
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="same.jpg"\r\n'
                    "Content-Type: image/jpeg\r\n\r\n"
                ).encode()
                + data
                + f"\r\n--{boundary}--\r\n".encode()
            )
            barrier = threading.Barrier(4)
            results: list[tuple[int, int]] = []
            errors: list[str] = []

            def send(
                body: bytes,
                boundary: str,
                barrier: threading.Barrier,
                results: list[tuple[int, int]],
                errors: list[str],
            ) -> None:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{server.server_port}/api/v1/albums/{slug}/photos",
                    data=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                    },
                    method="POST",
                )
                barrier.wait()
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        results.append((answer.status, json.loads(answer.read())["id"]))
                except urllib.error.HTTPError as exc:
                    errors.append(f"{exc.code} {exc.read()[:300]!r}")

            threads = [threading.Thread(target=send, args=(body, boundary, barrier, results, errors)) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(90)
            assert errors == []
            assert sorted(status for status, _ in results) == [200, 200, 200, 201]
            assert len({photo_id for _, photo_id in results}) == 1
        with app.app_context():
            assert _count() == 3
            assert len(stored_keys(app, "originals/")) == 3
            assert consistency_problems(app) == []
    finally:
        server.shutdown()
        server.server_close()


def test_database_unavailable_is_503_json(tmp_path):
    with socket.socket() as sock:  # a port where nothing listens (kept bound, never listening)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = make_app(tmp_path, f"postgresql://postgres@127.0.0.1:{port}/gallery")
        client = app.test_client()

        started = time.monotonic()
        anonymous = client.get("/api/v1/albums/anything")
        assert anonymous.status_code == 503
        assert anonymous.get_json()["error"]["code"] == "database_unavailable"
        assert "nothing was saved" in anonymous.get_json()["error"]["message"]

        with_token = client.get("/api/v1/albums/anything", headers={"Authorization": "Bearer gal_whatever"})
        assert with_token.status_code == 503 and with_token.get_json()["error"]["code"] == "database_unavailable"

        posted = client.post(
            "/api/v1/albums/anything/photos",
            data={"file": (io.BytesIO(jpeg(1)), "a.jpg")},
            headers={"Authorization": "Bearer gal_whatever"},
            content_type="multipart/form-data",
        )
        assert posted.status_code == 503 and posted.get_json()["error"]["code"] == "database_unavailable"
        assert leftover_temp_files(app) == []

        page = client.get("/")
        assert page.status_code == 503 and "text/html" in page.content_type
        assert time.monotonic() - started < 20

        with app.app_context():
            result = cli(app, "verify")
        assert result.exit_code == 1 and "database" in result.output and "Connection refused" in result.output


def test_a_corrupted_original_on_s3_is_named_by_verify(make_instance, moto_endpoint, s3_env):
    app = _s3_instance(make_instance, moto_endpoint)
    with app.app_context():
        token = make_token(make_user(Role.editor))
        album = make_album("rot")
        client = app.test_client()
        ids = [upload(client, token, album.slug, jpeg(20 + i)).get_json()["id"] for i in range(3)]
        photos = [db.session.get(Photo, i) for i in ids]
        storage = storage_of(app)
        damaged = bytearray(jpeg(20))
        damaged[1000] ^= 0x10
        storage.client.put_object(Bucket=storage.bucket, Key=f"media/{photos[0].original_key}", Body=bytes(damaged))
        storage.client.delete_object(Bucket=storage.bucket, Key=f"media/{photos[1].original_key}")
        db.session.rollback()

        result = cli(app, "verify")

        assert result.exit_code == 2, result.output
        changed = next(line for line in result.stdout.splitlines() if line.startswith("CHANGED"))
        assert f"photo {ids[0]} (album rot) {photos[0].original_key}" in changed
        assert f"expected sha256 {photos[0].sha256}" in changed
        assert f"actual sha256 {hashlib.sha256(damaged).hexdigest()}" in changed
        missing = next(line for line in result.stdout.splitlines() if line.startswith("MISSING"))
        assert f"photo {ids[1]} " in missing and photos[1].original_key in missing
        assert "1 verified, 1 missing, 1 changed" in result.stdout
        assert "FAILED: 2 original(s) missing or changed" in result.stderr


def _wait_for_status(photo_id: int, status: PhotoStatus, timeout: float) -> bool:
    """Until the photo has ``status`` and, when that is ``ready``, every web size: a new photo is
    ``ready`` (live, ``sizes_pending``) as soon as its smallest size exists, while the task still
    makes the larger ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        photo = db.session.get(Photo, photo_id)
        if photo is not None and photo.status == status and not photo.sizes_pending:
            return True
        time.sleep(0.25)
    return False


@pytest.mark.slow
# About Celery and Redis, not the database: once, on PostgreSQL when it is there.
@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)
def test_a_worker_killed_mid_task_is_replaced_and_the_photo_gets_ready(make_instance, moto_endpoint, s3_env):
    with private_redis_db() as broker:
        app = _s3_instance(
            make_instance,
            moto_endpoint,
            GALLERY_CELERY_BROKER_URL=broker,
            GALLERY_CELERY_VISIBILITY_TIMEOUT="3",
            GALLERY_TEST_TASK_DELAY="3",
        )
        env = _gallery_env(
            app,
            GALLERY_CELERY_BROKER_URL=broker,
            GALLERY_CELERY_VISIBILITY_TIMEOUT="3",
            GALLERY_TEST_TASK_DELAY="3",
            **s3_env,
        )
        workers: list[Child] = []
        try:
            with app.app_context():
                token = make_token(make_user(Role.editor))
                album = make_album("worker")
                response = upload(app.test_client(), token, album.slug, jpeg(30, (900, 600)))
                assert response.status_code == 201
                photo_id = response.get_json()["id"]
                assert response.get_json()["status"] == "processing"  # queued, not done in the request

                first = celery_worker(env)
                workers.append(first)
                assert first.wait_for("] received", 60), first.output  # the task is running (sleeping) now
                time.sleep(0.5)
                first.kill()
                assert _count(Derivative) == 0
                assert db.session.get(Photo, photo_id).status == PhotoStatus.processing

                second = celery_worker(env)
                workers.append(second)
                assert _wait_for_status(photo_id, PhotoStatus.ready, 90), second.output
                assert _count(Derivative) > 0
                assert second.wait_for("succeeded", 30), second.output  # logged right after the commit

                # reprocess through the workers, following their progress.
                result = cli(app, "reprocess", "--sizes", "300", "--wait", "90")
                assert result.exit_code == 0, result.output + second.output
                assert "queued 1 photo(s)" in result.stdout and "ready: 1" in result.stdout
                db.session.rollback()
                assert {(d.format, d.width) for d in db.session.get(Photo, photo_id).derivatives} == {
                    ("jpeg", 300),
                    ("webp", 300),
                }
                assert consistency_problems(app) == [] or all(
                    "orphan derivative" in p for p in consistency_problems(app)
                )
        finally:
            for worker in workers:
                worker.stop()
