"""With GALLERY_CELERY_BROKER_URL set, an upload answers at once with the photo
`processing`, and a real Celery worker process (real Redis broker) makes the
derivatives until the photo is `ready`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from tests.conftest import make_app
from tests.ingest.conftest import make_album, upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_process_makes_derivatives(tmp_path, database_url, redis_db_url):
    broker = redis_db_url
    settings = {
        "GALLERY_ENV": "testing",
        "GALLERY_INSTANCE_PATH": str(tmp_path / "instance"),
        "GALLERY_DATABASE_URL": database_url,
        "GALLERY_STORAGE_URL": (tmp_path / "media").as_uri(),
        "GALLERY_SECRET_KEY": "worker-test-secret-" + "x" * 32,
        "GALLERY_CELERY_BROKER_URL": broker,
        "GALLERY_LOG_LEVEL": "WARNING",
    }
    app = make_app(tmp_path, database_url, **settings)
    env = {**os.environ, **settings}
    worker = None
    with app.app_context():
        db.create_all()
        try:
            from tests.conftest import make_token, make_user

            token = make_token(make_user("photographer"))
            album = make_album()
            out = io.BytesIO()
            Image.new("RGB", (1600, 1000), (30, 90, 160)).save(out, "JPEG")
            response = upload(app.test_client(), token, album.slug, out.getvalue())
            assert response.status_code == 201
            body = response.get_json()
            assert body["status"] == "processing" and body["derivatives"] == []

            worker = subprocess.Popen(
                # The one documented worker command (README, gallery/worker.py, gallery/tasks.py).
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "gallery.worker",
                    "worker",
                    "--pool",
                    "solo",
                    "-Q",
                    "gallery",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 90
            status = None
            while time.monotonic() < deadline:
                db.session.rollback()
                stored = db.session.get(Photo, body["id"])
                status = stored.status
                if status != PhotoStatus.processing and not stored.sizes_pending:  # live first, then complete
                    break
                assert worker.poll() is None, worker.stdout.read().decode(errors="replace")
                time.sleep(0.5)
            assert status == PhotoStatus.ready
            photo = app.test_client().get(f"/api/v1/photos/{body['id']}").get_json()
            assert len(photo["derivatives"]) == 6
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
            db.session.remove()
