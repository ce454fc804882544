"""tus with the spool in the bucket (``GALLERY_UPLOAD_SPOOL=s3``), against a real S3 endpoint (moto
over HTTP on loopback, nothing patched): two Gallery instances with their own instance folders and
nothing shared but the database and the bucket, as two machines would be.  An upload started on
one and resumed on the other arrives bit-exact, past what a killed process left in the bucket; a
chunk with a wrong checksum is 460 and leaves nothing; termination and ``gallery gc`` leave no
multipart upload and no object."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Photo, Role, utcnow
from gallery.storage import s3_direct
from gallery.uploads import resumable
from gallery.uploads.models import Upload
from tests.archive.conftest import cli, make_album, moto_endpoint
from tests.conftest import make_app, make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env
from tests.uploads.test_tus_clients import incompressible_jpeg

__all__ = ["moto_endpoint"]  # the fixture, for this module

MB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def machines(
    make_instance: Callable[..., Flask], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[Flask, Flask]]:
    """Two instances (own folders) on one database and one bucket, the spool in the bucket."""
    for name, value in moto_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(moto_endpoint).bucket
    settings = {
        "GALLERY_STORAGE_URL": f"s3://{bucket}/media",
        "GALLERY_S3_ENDPOINT_URL": moto_endpoint,
        "GALLERY_UPLOAD_SPOOL": "s3",
    }
    first = make_instance(**settings)
    with first.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    (tmp_path / "second").mkdir()
    second = make_app(tmp_path / "second", url, **settings)
    assert first.instance_path != second.instance_path
    yield first, second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def objects(app: Flask, prefix: str = "") -> list[str]:
    return sorted(obj.key for obj in app.extensions["gallery_storage"].list(prefix))


def multipart_uploads(app: Flask) -> list[dict[str, Any]]:
    storage = app.extensions["gallery_storage"]
    return list(storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", []))


def create(app: Flask, token: str, data: bytes, first: bytes = b"") -> str:
    headers = auth(
        token, **TUS, **{"Upload-Length": str(len(data)), "Upload-Metadata": meta(album="hall", filename="s3.jpg")}
    )
    if first:
        headers.update(
            {"Content-Type": "application/offset+octet-stream", "Upload-Checksum": checksum("sha256", first)}
        )
    response = app.test_client().post("/api/v1/uploads/", data=first or None, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert int(response.headers["Upload-Offset"]) == len(first)
    return response.headers["Location"].removeprefix("http://localhost")


def patch(app: Flask, token: str, url: str, offset: int, body: bytes, check: str | None = None) -> Any:
    headers = auth(token, **CHUNK, **{"Upload-Offset": str(offset)})
    if check:
        headers["Upload-Checksum"] = check
    return app.test_client().patch(url, data=body, headers=headers)


def test_resumed_on_another_machine_bit_exact_past_a_killed_process(machines: tuple[Flask, Flask]) -> None:
    one, two = machines
    data = incompressible_jpeg(12 * MB + 12345, 21)
    with one.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("hall")
    url = create(one, token, data, data[: 3 * MB])
    assert patch(one, token, url, 3 * MB, data[3 * MB : 6 * MB]).status_code == 204  # part 1 out, 1 MiB tail
    key = url.rsplit("/", 1)[1]
    with one.app_context():
        row = db.session.scalar(sa.select(Upload).where(Upload.key == key))
        assert row is not None and row.offset == 6 * MB and row.part_size == 5 * MB and row.multipart_id
        multipart_id = row.multipart_id
        assert objects(one, "uploads/") == [f"uploads/tus/{key}/tail-{6 * MB}"]
        assert not (Path(one.instance_path) / "uploads").exists()  # nothing on this machine's disk
        # What a process killed in the middle of a PATCH leaves: a part of other bytes and a tail
        # object past the committed offset.  Neither may end up in the photo.
        store = one.extensions["gallery_storage"]
        s3_direct.upload_part(store, resumable.object_key(key), multipart_id, 2, b"\xff" * (5 * MB))
        s3_direct.put_small(store, resumable.tail_key(key, 11 * MB), b"\xee" * MB)

    head = two.test_client().head(url, headers=auth(token, **TUS))
    assert head.status_code == 200 and int(head.headers["Upload-Offset"]) == 6 * MB
    assert head.headers["Upload-Length"] == str(len(data))
    # A chunk whose checksum does not match: 460, and the bucket is as it was.
    before = objects(two, "uploads/")
    bad = patch(two, token, url, 6 * MB, data[6 * MB : 7 * MB], checksum("sha1", b"something else"))
    assert bad.status_code == 460 and bad.get_json()["error"]["code"] == "checksum_mismatch"
    assert objects(two, "uploads/") == before
    assert two.test_client().head(url, headers=auth(token, **TUS)).headers["Upload-Offset"] == str(6 * MB)
    # A wrong offset is 409 (the server's offset rules, whichever machine).
    assert patch(two, token, url, 7 * MB, data[7 * MB : 8 * MB]).status_code == 409

    offset = 6 * MB
    while offset < len(data):
        chunk = data[offset : offset + MB]
        answer = patch(two, token, url, offset, chunk, checksum("sha1", chunk))
        assert answer.status_code == 204, answer.get_data(as_text=True)
        offset += len(chunk)
        assert int(answer.headers["Upload-Offset"]) == offset
    photo_url = answer.headers["Gallery-Photo"]
    assert answer.headers["Gallery-Upload-Result"] == "added"

    got = one.test_client().get(url, headers=auth(token))  # the first machine tells the outcome too
    assert got.status_code == 200 and f"/api/v1/photos/{got.get_json()['id']}" == photo_url
    sha = hashlib.sha256(data).hexdigest()
    assert got.get_json()["sha256"] == sha
    with one.app_context():
        with one.extensions["gallery_storage"].open(f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}") as stored:
            assert stored.read() == data
        assert objects(one, "uploads/") == [] and multipart_uploads(one) == []
    # The final PATCH again (its answer was lost): the same photo.
    again = patch(one, token, url, len(data), b"")
    assert again.status_code == 204 and again.headers["Gallery-Photo"] == photo_url


def test_a_refused_file_leaves_nothing(machines: tuple[Flask, Flask]) -> None:
    one, two = machines
    data = b"not an image at all " * 400_000  # 8 MB: a full part and a last one
    with one.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("hall")
    url = create(one, token, data, data[: 6 * MB])
    done = patch(two, token, url, 6 * MB, data[6 * MB :])
    assert done.status_code in (415, 422), done.get_data(as_text=True)
    assert two.test_client().get(url, headers=auth(token)).status_code == done.status_code
    with one.app_context():
        assert objects(one, "uploads/") == [] and multipart_uploads(one) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0


def test_termination_leaves_no_multipart_upload(machines: tuple[Flask, Flask]) -> None:
    one, two = machines
    data = incompressible_jpeg(9 * MB, 22)
    with one.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("hall")
    url = create(one, token, data, data[: 7 * MB])
    with one.app_context():
        assert len(multipart_uploads(one)) == 1 and len(objects(one, "uploads/")) == 1
    gone = two.test_client().delete(url, headers=auth(token, **TUS))
    assert gone.status_code == 204
    with one.app_context():
        assert multipart_uploads(one) == [] and objects(one, "uploads/") == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    assert two.test_client().head(url, headers=auth(token, **TUS)).status_code == 404
    assert patch(one, token, url, 7 * MB, data[7 * MB :]).status_code == 404


def test_gc_sweeps_an_expired_upload_and_stray_objects(machines: tuple[Flask, Flask]) -> None:
    one, _ = machines
    data = incompressible_jpeg(8 * MB, 23)
    with one.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("hall")
    url = create(one, token, data, data[: 6 * MB])
    key = url.rsplit("/", 1)[1]
    with one.app_context():
        store = one.extensions["gallery_storage"]
        s3_direct.put_small(store, "uploads/tus/" + "x" * 32 + "/tail-7", b"left by a PATCH after its termination")
        db.session.execute(sa.update(Upload).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        dry = cli(one, "gc", "--dry-run")
        assert dry.exit_code == 0 and key in dry.output and len(multipart_uploads(one)) == 1
        result = cli(one, "gc")
        assert result.exit_code == 0, result.output
        assert f"removed expired unfinished upload {key} (S3 spool)" in result.output
        stray = "uploads/tus/" + "x" * 32 + "/tail-7"
        assert multipart_uploads(one) == [] and objects(one, "uploads/") == [stray]  # young: kept
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
        later = utcnow() + timedelta(hours=25)
        assert resumable.sweep(db.session, store, stray_after=timedelta(hours=24), now=later) == ["x" * 32]
        assert objects(one, "uploads/") == []


def test_gc_keeps_the_multipart_upload_of_a_live_upload_however_old(machines: tuple[Flask, Flask]) -> None:
    one, two = machines
    data = incompressible_jpeg(6 * MB, 24)
    with one.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("hall")
    url = create(one, token, data, data[: 5 * MB + 3])
    with one.app_context():
        result = cli(one, "gc", "--grace", "1s")  # every multipart upload started over a second ago (moto: 2010) ...
        assert result.exit_code == 0, result.output
        assert len(multipart_uploads(one)) == 1  # ... but this upload's: it has not expired
    done = patch(two, token, url, 5 * MB + 3, data[5 * MB + 3 :])
    assert done.status_code == 204 and done.headers["Gallery-Photo"]
