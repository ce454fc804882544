"""Resumable uploads with a real tus client nobody here wrote (tuspy), against gunicorn with two
workers on loopback: three files of 1, 12 and 30 MB in 1 MB chunks with sha1 checksums, stored
bit-exact; an upload whose client process is killed at a random byte and resumed by a new process
from the server's offset (chunks land on either worker); `gallery gc` sweeping an expired upload.
The files are incompressible (random bytes behind a small real JPEG), made once per session."""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from gallery.app import create_app
from gallery.extensions import db
from gallery.uploads.models import Upload
from tests.archive.faults import Child, child_env
from tests.ingest.servers import Instance, gunicorn_server, prepare_instance

tusclient = pytest.importorskip("tusclient.client")

MB = 1024 * 1024

# Uploads one file with tuspy, remembering its URL in a file (tuspy's own resumability), so that
# a second run of the same script resumes it.  Prints the offset it starts from and the answer.
TUS_CHILD = r"""
import json, sys
from tusclient import client
from tusclient.storage.filestorage import FileStorage

url, token, album, path, store, checksum = sys.argv[1:7]
tus = client.TusClient(url + "/api/v1/uploads/", headers={"Authorization": "Bearer " + token})
uploader = tus.uploader(
    path, chunk_size=1024 * 1024, metadata={"album": album, "filename": path.rsplit("/", 1)[-1]},
    store_url=True, url_storage=FileStorage(store), upload_checksum=checksum == "sha1", retries=5, retry_delay=0.2,
)
print("starting at", uploader.offset, uploader.url, flush=True)
uploader.upload()
photo = uploader.request.response_headers.get("gallery-photo")
print("answer", json.dumps({"url": uploader.url, "photo": photo}), flush=True)
"""


def incompressible_jpeg(size: int, seed: int) -> bytes:
    """A real (small) JPEG followed by random bytes up to ``size``: decoders stop at its end."""
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (seed * 40 % 256, 90, 160)).save(out, "JPEG", quality=85)
    head = out.getvalue()
    return head + random.Random(seed).randbytes(size - len(head))


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tus-files")
    made: dict[str, Path] = {}
    for seed, megabytes in enumerate((1, 12, 30), start=1):
        path = folder / f"photo-{megabytes}mb.jpg"
        path.write_bytes(incompressible_jpeg(megabytes * MB, seed))
        made[f"{megabytes}"] = path
    return made


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, str]]:
    instance = prepare_instance(tmp_path_factory.mktemp("tus-server"))
    with gunicorn_server(instance, workers=2, threads=2) as (_pids, url):
        yield instance, url


def stored_original(instance: Instance, data: bytes) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    media = Path(instance.env["GALLERY_STORAGE_URL"].removeprefix("file://"))
    return (media / "originals" / "sha256" / digest[:2] / digest[2:4] / digest).read_bytes()


def photo(url: str, instance: Instance, path: str) -> dict:
    response = requests.get(url + path, headers={"Authorization": f"Bearer {instance.token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def spool_files(instance: Instance) -> list[Path]:
    return sorted((Path(instance.env["GALLERY_INSTANCE_PATH"]) / "uploads").glob("*.part"))


def test_tuspy_uploads_three_files_bit_exact(server: tuple[Instance, str], files: dict[str, Path]) -> None:
    instance, url = server
    client = tusclient.TusClient(f"{url}/api/v1/uploads/", headers={"Authorization": f"Bearer {instance.token}"})
    for name, path in files.items():
        data = path.read_bytes()
        uploader = client.uploader(
            str(path), chunk_size=MB, metadata={"album": instance.album, "filename": path.name}, upload_checksum=True
        )
        uploader.upload()
        assert uploader.offset == len(data), name
        photo_path = uploader.request.response_headers["gallery-photo"]
        answer = photo(url, instance, photo_path)
        assert answer["sha256"] == hashlib.sha256(data).hexdigest() and answer["filename"] == path.name
        assert stored_original(instance, data) == data
        assert photo(url, instance, uploader.url.removeprefix(url))["id"] == answer["id"]  # GET on the upload URL
    assert spool_files(instance) == []


def test_killed_at_a_random_byte_then_resumed_by_another_process(
    server: tuple[Instance, str], files: dict[str, Path], tmp_path: Path
) -> None:
    instance, url = server
    path = files["30"]
    data = path.read_bytes()
    store = tmp_path / "tuspy-urls.json"
    cut_at = random.Random().randrange(2 * MB, len(data) - 2 * MB)
    args = [sys.executable, "-c", TUS_CHILD, url, instance.token, instance.album, str(path), str(store)]
    # The kill comes while the server writes a chunk (its spool file between two MB boundaries,
    # when the poll catches one).  Without checksums the server keeps whatever part of a chunk
    # reached it; on loopback a 1 MB chunk is usually in the server's socket buffer whole by then,
    # so the resumed offset is mostly a chunk boundary (a chunk cut short by a client that goes
    # away: tests/unit/uploads/test_spool.py and test_tus.py).
    first = Child([*args, "none"], child_env())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.proc.poll() is None:
            parts = spool_files(instance)
            size = parts[0].stat().st_size if parts else 0
            if size >= cut_at and (size % MB or size >= cut_at + 3 * MB):
                break
            time.sleep(0.0002)
        first.kill()
    finally:
        first.stop()
    assert not any(line.startswith("answer") for line in first.lines), f"finished before the cut at {cut_at}"
    second = Child([*args, "sha1"], child_env())
    try:
        assert second.wait_for("answer", 120), second.output
    finally:
        second.stop()
    started = next(line for line in second.lines if line.startswith("starting at")).split()
    resumed_from = int(started[2])
    assert 0 < resumed_from < len(data), second.output
    answer = json.loads(next(line for line in second.lines if line.startswith("answer")).split(" ", 1)[1])
    assert answer["url"] == started[3]  # the upload the killed process started (tuspy's stored URL)
    photo_json = photo(url, instance, answer["photo"])
    assert photo_json["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored_original(instance, data) == data
    listed = requests.get(
        f"{url}/api/v1/albums/{instance.album}", headers={"Authorization": f"Bearer {instance.token}"}, timeout=30
    ).json()
    assert [p["id"] for p in listed["photos"] if p["sha256"] == photo_json["sha256"]] == [photo_json["id"]]  # once
    assert spool_files(instance) == []
    print(f"\nkilled near byte {cut_at} of {len(data)}, resumed by a new process from offset {resumed_from}")


def test_gc_sweeps_an_expired_upload(tmp_path: Path, files: dict[str, Path]) -> None:
    instance = prepare_instance(tmp_path, GALLERY_UPLOAD_EXPIRY_HOURS="1")
    app = create_app(instance.env)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {instance.token}", "Tus-Resumable": "1.0.0"}
    created = client.post(
        "/api/v1/uploads/",
        headers={**headers, "Upload-Length": str(2 * MB), "Upload-Metadata": "album bWVtb3J5"},
    )
    assert created.status_code == 201
    location = created.headers["Location"].removeprefix("http://localhost")
    chunk = files["1"].read_bytes()[: MB // 2]
    sent = client.patch(
        location,
        data=chunk,
        headers={**headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert sent.status_code == 204 and len(spool_files(instance)) == 1
    with app.app_context():
        kept = app.test_cli_runner().invoke(args=["gallery", "gc"])
        assert kept.exit_code == 0 and "0 expired resumable upload(s) removed" in kept.output, kept.output
        db.session.execute(db.update(Upload).values(expires_at=Upload.created_at))
        db.session.commit()
        swept = app.test_cli_runner().invoke(args=["gallery", "gc"])
    assert swept.exit_code == 0, swept.output
    assert "expired unfinished upload" in swept.output and "1 expired resumable upload(s) removed" in swept.output
    assert spool_files(instance) == []
    assert client.head(location, headers=headers).status_code == 404
