"""tus with the spool in the bucket, with a real client nobody here wrote (tuspy) and two "machines":
two gunicorn servers with their own instance folders, sharing only the database and the bucket (moto
over HTTP on loopback).  The client process is killed at a random byte while uploading to the first;
a new process resumes the upload through the second (its stored URL pointed there, as a load
balancer would), from the server's offset; the original is bit-exact and nothing is left in the
bucket but it."""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gallery.storage import S3Storage
from tests.archive.faults import Child, child_env
from tests.ingest.servers import Instance, gunicorn_server, prepare_instance
from tests.storage.s3server import make_s3_storage, moto_env, moto_server
from tests.uploads.test_tus_clients import TUS_CHILD, incompressible_jpeg

pytest.importorskip("tusclient.client")

MB = 1024 * 1024


@pytest.fixture
def bucket_and_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Storage, dict[str, str]]]:
    with moto_server() as endpoint:
        aws = moto_env(endpoint)
        for name, value in aws.items():
            monkeypatch.setenv(name, value)
        store = make_s3_storage(endpoint)
        yield (
            store,
            {
                **aws,
                "GALLERY_STORAGE_URL": f"s3://{store.bucket}/media",
                "GALLERY_S3_ENDPOINT_URL": endpoint,
                "GALLERY_UPLOAD_SPOOL": "s3",
            },
        )


def offset_of(upload_url: str, token: str) -> int:
    answer = requests.head(
        upload_url, headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}, timeout=30
    )
    return int(answer.headers.get("Upload-Offset", 0)) if answer.status_code == 200 else 0


def test_tuspy_killed_on_one_machine_resumed_on_the_other(
    bucket_and_env: tuple[S3Storage, dict[str, str]], tmp_path: Path
) -> None:
    store, settings = bucket_and_env
    one = prepare_instance(tmp_path / "one", **settings)
    two = Instance({**one.env, "GALLERY_INSTANCE_PATH": str(tmp_path / "two" / "instance")}, one.token, one.album)
    path = tmp_path / "photo.jpg"
    data = incompressible_jpeg(12 * MB, 41)
    path.write_bytes(data)
    urls = tmp_path / "tuspy-urls.json"
    cut_at = random.Random().randrange(2 * MB, len(data) - 3 * MB)
    with (
        gunicorn_server(one, workers=1, threads=2) as (_a, url_one),
        gunicorn_server(two, workers=1, threads=2) as (_b, url_two),
    ):
        args = [sys.executable, "-c", TUS_CHILD]
        first = Child([*args, url_one, one.token, one.album, str(path), str(urls), "sha1"], child_env())
        try:
            deadline = time.monotonic() + 60
            upload_url = ""
            while not upload_url and time.monotonic() < deadline:  # tuspy stores the URL it created
                found = re.search(r'"(http://[^"]+/api/v1/uploads/[^"]+)"', urls.read_text() if urls.exists() else "")
                upload_url = found.group(1) if found else ""
                time.sleep(0.01)
            assert upload_url, first.output
            while time.monotonic() < deadline and first.proc.poll() is None:
                if offset_of(upload_url, one.token) >= cut_at:
                    break
                time.sleep(0.01)
            first.kill()
        finally:
            first.stop()
        assert not any(line.startswith("answer") for line in first.lines), f"finished before the cut at {cut_at}"
        # The load balancer sends the resumed upload to the other machine.
        urls.write_text(urls.read_text().replace(url_one, url_two))
        second = Child([*args, url_two, one.token, one.album, str(path), str(urls), "sha1"], child_env())
        try:
            assert second.wait_for("answer", 120), second.output
        finally:
            second.stop()
        started = next(line for line in second.lines if line.startswith("starting at")).split()
        resumed_from = int(started[2])
        assert 0 < resumed_from < len(data), second.output
        assert started[3] == upload_url.replace(url_one, url_two)
        answer = json.loads(next(line for line in second.lines if line.startswith("answer")).split(" ", 1)[1])
        photo = requests.get(
            url_one + answer["photo"], headers={"Authorization": f"Bearer {one.token}"}, timeout=30
        ).json()
    digest = hashlib.sha256(data).hexdigest()
    assert photo["sha256"] == digest
    with store.open(f"media/originals/sha256/{digest[:2]}/{digest[2:4]}/{digest}") as stored:
        assert stored.read() == data
    assert [obj.key for obj in store.list("media/uploads/")] == []
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    for instance in (one, two):  # nothing on either machine's disk
        assert not list(Path(instance.env["GALLERY_INSTANCE_PATH"], "uploads").glob("*"))
    print(f"\nkilled near byte {cut_at} of {len(data)} on one machine, resumed on the other from {resumed_from}")
