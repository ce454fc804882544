"""Photos stuck in ``processing``, for real: the process making the derivatives is killed with
SIGKILL, or the disk fills up while they are written.

A stuck photo is re-queued by uploading it again, ``gallery verify`` reports photos that have
been processing longer than ``--stuck-after`` (exit 3), ``gallery reprocess --stuck`` finishes
them; a full disk marks the photo ``failed`` with the reason, and says so in the log."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Derivative, Photo, PhotoStatus, Role
from tests.archive.conftest import cli, consistency_problems, jpeg, make_album, upload
from tests.archive.faults import Child, child_env, kill_after_put
from tests.conftest import make_token, make_user

# The real upload path (the API through create_app, derivatives made in-process as without a
# broker) in a child process that stops, for a SIGKILL, once the first derivative is stored:
# the photo row is committed as `processing` and its derivative work dies with the process.
KILL_DURING_DERIVATIVES = kill_after_put("derivatives/")

# The same upload, run where the media folder is a tmpfs just big enough for the original.
UPLOAD = r"""
import io, json, sys
from pathlib import Path
from gallery.app import create_app

app = create_app()
data = Path(sys.argv[1]).read_bytes()
response = app.test_client().post(
    f"/api/v1/albums/{sys.argv[2]}/photos",
    data={"file": (io.BytesIO(data), "full-disk.jpg")},
    headers={"Authorization": f"Bearer {sys.argv[3]}"},
    content_type="multipart/form-data",
)
print("answer", response.status_code, json.dumps(response.get_json()))
"""


def _env(app: Flask, **extra: str) -> dict[str, str]:
    settings = app.config["GALLERY_SETTINGS"]
    return child_env(
        GALLERY_ENV="testing",
        GALLERY_INSTANCE_PATH=str(settings.instance_path),
        GALLERY_DATABASE_URL=settings.database_url,
        GALLERY_STORAGE_URL=settings.storage_url,
        GALLERY_SECRET_KEY=settings.secret_key,
        GALLERY_LOG_LEVEL="INFO",
        GALLERY_RATELIMIT_STORAGE_URL="memory://",
        **extra,
    )


def _photo(sha256: str) -> Photo:
    db.session.rollback()
    photo = db.session.scalar(select(Photo).where(Photo.sha256 == sha256))
    assert photo is not None
    return photo


def _derivative_rows(photo_id: int) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count(Derivative.id)).where(Derivative.photo_id == photo_id)) or 0)


def _killed_during_derivatives(app: Flask, tmp_path: Path, album: str, token: str, data: bytes) -> Photo:
    source = tmp_path / "killed.jpg"
    source.write_bytes(data)
    marker = tmp_path / "derivative.marker"
    marker.unlink(missing_ok=True)
    child = Child(
        [sys.executable, "-c", KILL_DURING_DERIVATIVES, str(source), album, token], _env(app, KILL_MARKER=str(marker))
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.proc.poll() is None, child.output
            assert time.monotonic() < deadline, child.output
            time.sleep(0.05)
    finally:
        child.kill()
    assert "finished" not in child.output
    photo = _photo(hashlib.sha256(data).hexdigest())
    assert photo.status == PhotoStatus.processing and _derivative_rows(photo.id) == 0
    return photo


@pytest.mark.slow
def test_killed_during_derivatives_reupload_requeues_verify_reports_reprocess_fixes(make_instance, tmp_path):
    app = make_instance()
    with app.app_context():
        token = make_token(make_user(Role.photographer))
        album = make_album("stuck").slug
        client = app.test_client()

        first = jpeg(41, (900, 600))
        stuck = _killed_during_derivatives(app, tmp_path, album, token, first)

        # Within the default timeout (30 min) the photo may still be in the works: not reported.
        fresh = cli(app, "verify")
        assert fresh.exit_code == 0, fresh.output
        assert "stuck" not in fresh.stdout.lower()
        reported = cli(app, "verify", "--stuck-after", "0s")
        assert reported.exit_code == 3, reported.output
        assert f"photo {stuck.id} (album {album})" in reported.stdout and "processing since" in reported.stdout
        assert "gallery reprocess --stuck" in reported.stdout

        # Uploading it again re-queues it (in-process here), and it reaches `ready`.
        again = upload(client, token, album, first)
        assert again.status_code == 200, again.get_data(as_text=True)
        assert again.get_json()["id"] == stuck.id and again.get_json()["status"] == "ready"
        assert _photo(stuck.sha256).status == PhotoStatus.ready and _derivative_rows(stuck.id) > 0
        assert cli(app, "verify", "--stuck-after", "0s").exit_code == 0

        # Killed again with other bytes: `reprocess --stuck` finishes it.
        second = _killed_during_derivatives(app, tmp_path, album, token, jpeg(42, (900, 600)))
        assert cli(app, "reprocess", "--stuck").stdout.strip() == "nothing to reprocess"  # not stuck for 30 min yet
        fixed = cli(app, "reprocess", "--stuck", "--stuck-after", "0s")
        assert fixed.exit_code == 0, fixed.output
        assert "1 photo(s) to reprocess" in fixed.stdout and "ready: 1" in fixed.stdout
        assert _photo(second.sha256).status == PhotoStatus.ready and _derivative_rows(second.id) > 0
        clean = cli(app, "verify", "--stuck-after", "0s")
        assert clean.exit_code == 0, clean.output
        assert consistency_problems(app) == []


def _can_mount_tmpfs(where: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{where}'"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def test_full_disk_while_writing_derivatives_marks_failed_and_logs(make_instance, tmp_path):
    app = make_instance()
    media = Path(app.config["GALLERY_SETTINGS"].storage_url.removeprefix("file://"))
    media.mkdir(parents=True, exist_ok=True)
    if not _can_mount_tmpfs(media):
        pytest.skip("needs unshare with user and mount namespaces (a private tmpfs)")
    with app.app_context():
        token = make_token(make_user(Role.photographer))
        album = make_album("full-disk").slug
    data = jpeg(43, (1200, 900))
    source = tmp_path / "full-disk.jpg"
    source.write_bytes(data)
    # Room for the original (and its small metadata file), not for its web sizes.
    size_kib = len(data) // 1024 + 16
    script = (
        f"mount -t tmpfs -o size={size_kib}k tmpfs '{media}' && "
        f"exec '{sys.executable}' -c \"$UPLOAD\" '{source}' '{album}' '{token}'"
    )
    child = Child(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script], _env(app, UPLOAD=UPLOAD))
    assert child.proc.wait(120) == 0, child.output
    assert "answer 201" in child.output, child.output
    with app.app_context():
        photo = _photo(hashlib.sha256(data).hexdigest())
        assert photo.status == PhotoStatus.failed, child.output
        assert "no space left on the device" in (photo.error or "")
        photo_id = photo.id
        assert _derivative_rows(photo_id) == 0
    # Said in the log, naming the photo and the reason (not silently left `processing`).
    logged = [line for line in child.lines if "gallery.derivatives" in line and f"photo {photo_id}" in line]
    assert logged and "no space left on the device" in logged[0], child.output
