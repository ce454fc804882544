"""Direct uploads to S3 against a real S3 endpoint over HTTP (moto on loopback, nothing patched), with
a TCP proxy in front that can be cut: the client PUTs the parts itself (one re-sent after the
connection died), Gallery completes, reads the object once and copies it inside the bucket; the
endpoint's request log shows no request from Gallery carrying the photo's bytes.  A SHA-256 that
does not match leaves no object and no photo; a local store answers 409."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from moto.server import ThreadedMotoServer

from gallery.extensions import db
from gallery.models import Photo, Role
from gallery.uploads.models import Upload
from tests.archive.conftest import jpeg, make_album
from tests.archive.faults import CuttableProxy
from tests.conftest import make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env
from tests.uploads.test_tus_clients import incompressible_jpeg

MB = 1024 * 1024


@dataclass
class Logged:
    method: str
    path: str
    agent: str
    length: int


class RecordingMoto:
    """moto's S3 server with a log of every request it served: method, path, User-Agent, body size."""

    def __init__(self) -> None:
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def __enter__(self) -> RecordingMoto:
        self._server.start()
        wsgi = self._server._server
        assert wsgi is not None
        inner = wsgi.app

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            entry = Logged(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                environ.get("HTTP_USER_AGENT", ""),
                int(environ.get("CONTENT_LENGTH") or 0),
            )
            with self._lock:
                self.log.append(entry)
            return inner(environ, start_response)

        wsgi.app = app
        return self

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMoto]:
    with RecordingMoto() as server:
        yield server


@pytest.fixture
def proxy(moto: RecordingMoto) -> Iterator[CuttableProxy]:
    cuttable = CuttableProxy(moto.url)
    cuttable.start()
    yield cuttable
    cuttable.stop()


@pytest.fixture
def s3_app(
    make_instance: Callable[..., Flask], moto: RecordingMoto, proxy: CuttableProxy, monkeypatch: pytest.MonkeyPatch
) -> Flask:
    for name, value in moto_env(proxy.url).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(moto.url).bucket
    return make_instance(GALLERY_STORAGE_URL=f"s3://{bucket}/media", GALLERY_S3_ENDPOINT_URL=proxy.url)


def restart(proxy: CuttableProxy) -> None:
    """The endpoint is back (once the cut connection's listener is closed)."""
    for _ in range(50):
        try:
            proxy.start()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the proxy did not come back")


def start(client: Any, token: str, album: str, data: bytes, *, sha256: str | None = None) -> Any:
    return client.post(
        f"/api/v1/albums/{album}/direct-uploads",
        json={"filename": "direct.jpg", "size": len(data), "sha256": sha256 or hashlib.sha256(data).hexdigest()},
        headers={"Authorization": f"Bearer {token}"},
    )


def put_parts(started: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    size = started["part_size"]
    etags = []
    for part in started["parts"]:
        body = data[(part["number"] - 1) * size : part["number"] * size]
        answer = requests.put(part["url"], data=body, timeout=60)
        assert answer.status_code == 200, answer.text
        etags.append({"number": part["number"], "etag": answer.headers["ETag"]})
    return etags


def objects(app: Flask) -> list[str]:
    storage = app.extensions["gallery_storage"]
    return sorted(obj.key for obj in storage.list(""))


def multipart_uploads(app: Flask) -> list[dict[str, Any]]:
    storage = app.extensions["gallery_storage"]
    return storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", [])


def test_parts_go_straight_to_the_bucket_one_resent(s3_app: Flask, proxy: CuttableProxy, moto: RecordingMoto) -> None:
    data = incompressible_jpeg(20 * MB, 7)
    with s3_app.app_context():
        token = make_token(make_user(Role.photographer))
        make_album("direct")
        client = s3_app.test_client()
        response = start(client, token, "direct", data)
        assert response.status_code == 201, response.get_data(as_text=True)
        started = response.get_json()
        assert started["part_size"] == 8 * MB and [p["number"] for p in started["parts"]] == [1, 2, 3]
        size = started["part_size"]

        # Part 2 dies 1 MB in (the connection is reset), then is sent again.
        first = started["parts"][0]
        etags = [{"number": 1, "etag": requests.put(first["url"], data=data[:size], timeout=60).headers["ETag"]}]
        proxy.cut_after(MB)
        with pytest.raises(requests.ConnectionError):
            requests.put(started["parts"][1]["url"], data=data[size : 2 * size], timeout=60)
        assert proxy.cuts == 1
        restart(proxy)
        for part in started["parts"][1:]:
            body = data[(part["number"] - 1) * size : part["number"] * size]
            etags.append(
                {"number": part["number"], "etag": requests.put(part["url"], data=body, timeout=60).headers["ETag"]}
            )

        moto.log.clear()
        done = client.post(
            started["complete_url"].removeprefix("http://localhost"),
            json={"parts": etags},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.status_code == 201, done.get_data(as_text=True)
        photo = done.get_json()
        assert photo["sha256"] == hashlib.sha256(data).hexdigest() and photo["filename"] == "direct.jpg"
        sha = photo["sha256"]
        original = f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}"
        assert original in objects(s3_app)
        assert not any(key.startswith("uploads/") for key in objects(s3_app))  # the staging object is gone
        with s3_app.extensions["gallery_storage"].open(original) as stored:
            assert stored.read() == data
        # Gallery's own requests while completing: none carried the photo (or a part of it) up.
        gallery_requests = [entry for entry in moto.log if "Boto3" in entry.agent or "Botocore" in entry.agent]
        assert gallery_requests and max(entry.length for entry in gallery_requests) < MB, gallery_requests
        assert any(entry.method == "PUT" and entry.length == 0 for entry in gallery_requests)  # CopyObject

        again = start(client, token, "direct", data)  # the same bytes: the photo at once
        assert again.status_code == 200 and again.get_json()["id"] == photo["id"]
        repeat = client.post(
            started["complete_url"].removeprefix("http://localhost"),
            json={"parts": etags},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert repeat.status_code == 201 and repeat.get_json()["id"] == photo["id"]  # a lost answer, asked again
        assert multipart_uploads(s3_app) == []


def test_a_sha256_mismatch_leaves_no_object_and_no_photo(s3_app: Flask) -> None:
    data = incompressible_jpeg(9 * MB, 8)
    with s3_app.app_context():
        token = make_token(make_user(Role.editor))
        make_album("direct")
        client = s3_app.test_client()
        started = start(client, token, "direct", data, sha256="0" * 64).get_json()
        etags = put_parts(started, data)
        done = client.post(
            started["complete_url"].removeprefix("http://localhost"),
            json={"parts": etags},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.status_code == 422 and done.get_json()["error"]["code"] == "mismatch"
        assert objects(s3_app) == [] and multipart_uploads(s3_app) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0


def test_wrong_parts_abort_everything(s3_app: Flask) -> None:
    data = incompressible_jpeg(9 * MB, 9)
    with s3_app.app_context():
        token = make_token(make_user(Role.editor))
        make_album("direct")
        client = s3_app.test_client()
        started = start(client, token, "direct", data).get_json()
        etags = put_parts(started, data)
        url = started["complete_url"].removeprefix("http://localhost")
        auth = {"Authorization": f"Bearer {token}"}
        missing = client.post(url, json={"parts": etags[:1]}, headers=auth)
        assert missing.status_code == 422 and multipart_uploads(s3_app)  # nothing aborted: a client's slip
        wrong = [{"number": 1, "etag": '"0123456789abcdef0123456789abcdef"'}, etags[1]]
        refused = client.post(url, json={"parts": wrong}, headers=auth)
        assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "mismatch"
        assert objects(s3_app) == [] and multipart_uploads(s3_app) == []
        assert client.post(url, json={"parts": etags}, headers=auth).status_code == 422  # the refusal, again


def test_gc_aborts_an_expired_direct_upload(s3_app: Flask) -> None:
    data = incompressible_jpeg(9 * MB, 10)
    with s3_app.app_context():
        token = make_token(make_user(Role.editor))
        make_album("direct")
        started = start(s3_app.test_client(), token, "direct", data).get_json()
        put_parts(started, data)
        db.session.execute(sa.update(Upload).values(expires_at=Upload.created_at))
        db.session.commit()
        swept = s3_app.test_cli_runner().invoke(args=["gallery", "gc"])
        assert swept.exit_code == 0 and "removed expired direct upload" in swept.output, swept.output
        assert (
            multipart_uploads(s3_app) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
        )


def test_local_storage_answers_409(app: Flask) -> None:
    token = make_token(make_user(Role.editor))
    make_album("direct")
    response = start(app.test_client(), token, "direct", jpeg(1))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "direct_uploads_need_s3"
    assert "need S3" in response.get_json()["error"]["message"]


def test_a_client_that_signs_every_request_and_completes_in_the_bucket(s3_app: Flask, moto: RecordingMoto) -> None:
    """The upload page's way (@uppy/aws-s3): each request on the bucket signed by Gallery for this
    upload only, the multipart upload completed in the bucket, then complete_url without parts."""
    data = incompressible_jpeg(9 * MB, 11)
    with s3_app.app_context():
        token = make_token(make_user(Role.photographer))
        other = make_token(make_user(Role.editor))
        make_album("direct")
        client = s3_app.test_client()
        started = start(client, token, "direct", data).get_json()
        key, upload_id = started["id"], started["upload_id"]
        sign_url = started["sign_url"].removeprefix("http://localhost")
        assert sign_url == f"/api/v1/direct-uploads/{key}/sign"

        def signed(body: dict[str, Any], bearer: str = token) -> Any:
            return client.post(sign_url, json=body, headers={"Authorization": f"Bearer {bearer}"})

        etags = []
        for number in (1, 2):
            answer = signed({"method": "PUT", "upload_id": upload_id, "part_number": number})
            assert answer.status_code == 200, answer.get_data(as_text=True)
            put = requests.put(answer.get_json()["url"], data=data[(number - 1) * 8 * MB : number * 8 * MB], timeout=60)
            etags.append(put.headers["ETag"])
        listed = requests.get(signed({"method": "GET", "upload_id": upload_id}).get_json()["url"], timeout=60)
        assert listed.text.count("<PartNumber>") == 2
        complete_url = started["complete_url"].removeprefix("http://localhost")
        auth = {"Authorization": f"Bearer {token}"}
        early = client.post(complete_url, json={}, headers=auth)
        assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_assembled"

        # Refused: another user's upload, another multipart upload, a part past the upload's, creating one.
        assert signed({"method": "PUT", "upload_id": upload_id, "part_number": 1}, bearer=other).status_code == 404
        assert signed({"method": "PUT", "upload_id": "another", "part_number": 1}).status_code == 422
        assert signed({"method": "PUT", "upload_id": upload_id, "part_number": 3}).status_code == 422
        assert signed({"method": "POST", "upload_id": upload_id, "part_number": 1}).status_code == 422
        assert signed({"method": "POST"}).status_code == 422  # no upload id: creating is Gallery's
        assert signed({"method": "PATCH", "upload_id": upload_id}).status_code == 422
        assert signed({"method": "PUT", "upload_id": upload_id, "part_number": "1"}).status_code == 422
        bad = client.post(sign_url, data="{", headers={**auth, "Content-Type": "application/json"})
        assert bad.status_code == 400
        nobody = client.post(sign_url, json={"method": "GET", "upload_id": upload_id})
        assert nobody.status_code == 401

        xml = (
            "<CompleteMultipartUpload>"
            + "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in enumerate(etags, start=1)
            )
            + "</CompleteMultipartUpload>"
        )
        assembled = requests.post(
            signed({"method": "POST", "upload_id": upload_id}).get_json()["url"],
            data=xml,
            headers={"Content-Type": "application/xml"},
            timeout=60,
        )
        assert assembled.status_code == 200, assembled.text
        moto.log.clear()
        done = client.post(complete_url, json={}, headers=auth)
        assert done.status_code == 201, done.get_data(as_text=True)
        assert done.get_json()["sha256"] == hashlib.sha256(data).hexdigest()
        gallery_requests = [entry for entry in moto.log if "Boto3" in entry.agent or "Botocore" in entry.agent]
        assert gallery_requests and max(entry.length for entry in gallery_requests) < MB
        assert not any(name.startswith("uploads/") for name in objects(s3_app)) and multipart_uploads(s3_app) == []
        # Completed: nothing more is signed for it.
        after = signed({"method": "PUT", "upload_id": upload_id, "part_number": 1})
        assert after.status_code == 409
