"""gallery/api/uploads.py: the tus 1.0.0 protocol over HTTP (Flask's test client; the real tuspy
client, several processes and a killed client are in tests/uploads/test_tus_clients.py)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Photo, Role, User
from gallery.uploads.models import Upload
from tests.archive.conftest import jpeg, make_album
from tests.conftest import csrf_from, login, make_token, make_user

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@pytest.fixture
def token(app: Flask) -> str:
    make_album("tus-album")
    return make_token(make_user(Role.photographer))


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **TUS, **extra}


def create(client: FlaskClient, token: str, data: bytes, **extra: str) -> str:
    response = client.post(
        "/api/v1/uploads/",
        headers=auth(
            token,
            **{"Upload-Length": str(len(data)), "Upload-Metadata": meta(album="tus-album", filename="a.jpg"), **extra},
        ),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Upload-Expires"].endswith("GMT")
    return response.headers["Location"].removeprefix("http://localhost")


def patch(client: FlaskClient, token: str, url: str, offset: int, body: bytes, **extra: str):  # type: ignore[no-untyped-def]
    return client.patch(
        url, data=body, headers=auth(token, **{"Upload-Offset": str(offset), "Content-Type": CHUNK, **extra})
    )


def spool_files(app: Flask) -> list[Path]:
    return sorted((Path(app.instance_path) / "uploads").glob("*.part"))


def test_options_advertise_the_protocol(client: FlaskClient) -> None:
    response = client.options("/api/v1/uploads/")
    assert response.status_code == 200
    assert response.headers["Tus-Version"] == "1.0.0" and response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Extension"].split(",") == [
        "creation", "creation-with-upload", "termination", "expiration", "checksum"
    ]  # fmt: skip
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"
    assert int(response.headers["Tus-Max-Size"]) == 200 * 1024 * 1024


def test_chunks_then_head_then_the_photo(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(1, (640, 480))
    url = create(client, token, data)
    head = client.head(url, headers=auth(token))
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(data)) and head.headers["Cache-Control"] == "no-store"
    assert head.headers["Upload-Metadata"] == meta(album="tus-album", filename="a.jpg")
    half = len(data) // 2
    first = patch(client, token, url, 0, data[:half])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(half)
    assert "Gallery-Photo" not in first.headers
    incomplete = client.get(url, headers=auth(token))
    assert incomplete.status_code == 409 and incomplete.get_json()["error"]["code"] == "upload_incomplete"
    stale = patch(client, token, url, 0, data[:half])
    assert stale.status_code == 409 and stale.headers["Tus-Resumable"] == "1.0.0"
    last = patch(client, token, url, half, data[half:])
    assert last.status_code == 204, last.get_data(as_text=True)
    assert last.headers["Upload-Offset"] == str(len(data))
    photo_path = last.headers["Gallery-Photo"]
    photo = db.session.get(Photo, int(photo_path.rsplit("/", 1)[1]))
    assert photo is not None and photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.original_filename == "a.jpg"
    assert spool_files(app) == []
    assert last.headers["Gallery-Upload-Result"] == "added"
    answer = client.get(url, headers=auth(token))
    assert answer.status_code == 200 and answer.get_json()["id"] == photo.id
    assert answer.headers["Gallery-Upload-Result"] == "added"
    same = create(client, token, data)  # the same bytes again: the photo that is there
    repeated = patch(client, token, same, 0, data)
    assert repeated.headers["Gallery-Photo"] == photo_path and repeated.headers["Gallery-Upload-Result"] == "exists"
    again = patch(client, token, url, len(data), b"")  # the final PATCH repeated (its answer was lost)
    assert again.status_code == 204 and again.headers["Gallery-Photo"] == photo_path


def test_creation_with_upload_and_sha256_checksum(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(2)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    response = client.post(
        "/api/v1/uploads/",
        data=data,
        headers=auth(
            token,
            **{"Upload-Length": str(len(data)), "Upload-Metadata": meta(album="tus-album"), "Content-Type": CHUNK,
               "Upload-Checksum": f"sha256 {digest}"},
        ),
    )  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Upload-Offset"] == str(len(data)) and "Gallery-Photo" in response.headers


def test_a_wrong_checksum_is_460_and_keeps_nothing(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(3)
    url = create(client, token, data)
    wrong = base64.b64encode(hashlib.sha1(b"something else").digest()).decode()
    response = patch(client, token, url, 0, data, **{"Upload-Checksum": f"sha1 {wrong}"})
    assert response.status_code == 460 and response.get_json()["error"]["code"] == "checksum_mismatch"
    assert client.head(url, headers=auth(token)).headers["Upload-Offset"] == "0"
    assert [p.stat().st_size for p in spool_files(app)] == [0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    right = base64.b64encode(hashlib.sha1(data).digest()).decode()
    assert patch(client, token, url, 0, data, **{"Upload-Checksum": f"sha1 {right}"}).status_code == 204
    unknown = patch(client, token, url, len(data), b"", **{"Upload-Checksum": "md5 AAAA"})
    assert unknown.status_code == 400


def test_termination_leaves_no_spool_file(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(4)
    url = create(client, token, data)
    assert patch(client, token, url, 0, data[:100]).status_code == 204
    assert len(spool_files(app)) == 1
    assert client.delete(url, headers=auth(token)).status_code == 204
    assert spool_files(app) == []
    assert client.head(url, headers=auth(token)).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0


def test_a_refused_file_is_told_by_the_final_patch_and_by_get(app: Flask, client: FlaskClient, token: str) -> None:
    data = b"this is not an image at all" * 10
    url = create(client, token, data)
    response = patch(client, token, url, 0, data)
    assert response.status_code == 415
    answer = client.get(url, headers=auth(token))
    assert answer.status_code == 415 and answer.get_json()["error"]["code"] == "unsupported_media_type"
    assert spool_files(app) == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Upload-Length": "10"}, 400),  # no album
        ({"Upload-Length": "x", "Upload-Metadata": meta(album="tus-album")}, 400),
        ({"Upload-Length": "-1", "Upload-Metadata": meta(album="tus-album")}, 400),
        ({"Upload-Metadata": meta(album="tus-album")}, 400),
        ({"Upload-Length": "10", "Upload-Metadata": "album !!!"}, 400),
        ({"Upload-Length": "10", "Upload-Metadata": meta(album="no-such-album")}, 404),
        ({"Upload-Length": str(201 * 1024 * 1024), "Upload-Metadata": meta(album="tus-album")}, 413),
        ({"Upload-Length": "10", "Upload-Metadata": meta(album="tus-album"), "Tus-Resumable": "0.2.2"}, 412),
    ],
)
def test_bad_creation_headers(
    app: Flask, client: FlaskClient, token: str, headers: dict[str, str], status: int
) -> None:
    response = client.post("/api/v1/uploads/", headers=auth(token, **headers))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["message"]
    if status == 412:
        assert response.headers["Tus-Version"] == "1.0.0"
    assert spool_files(app) == []


def test_bad_patches(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(5)
    url = create(client, token, data)
    assert patch(client, token, url, 0, data[:10], **{"Content-Type": "image/jpeg"}).status_code == 415
    assert patch(client, token, url, 0, data + b"more").status_code == 413
    assert patch(client, token, url, 5, data[:10]).status_code == 409
    assert patch(client, token, url, 0, data[:10], **{"Tus-Resumable": "2.0"}).status_code == 412
    assert client.head(url, headers=auth(token)).headers["Upload-Offset"] == "0"
    other = make_token(make_user(Role.editor))  # someone else's upload does not exist for them
    assert patch(client, other, url, 0, data[:10]).status_code == 404
    assert client.patch("/api/v1/uploads/not-a-key", headers=auth(token)).status_code in (404, 415)


def test_expired_uploads_are_gone(app: Flask, client: FlaskClient, token: str) -> None:
    data = jpeg(6)
    url = create(client, token, data)
    db.session.execute(sa.update(Upload).values(expires_at=Upload.created_at))
    db.session.commit()
    assert client.head(url, headers=auth(token)).status_code == 410
    assert patch(client, token, url, 0, data).status_code == 410


def test_the_upload_page_session_with_csrf(app: Flask, client: FlaskClient, token: str) -> None:
    user = db.session.scalar(sa.select(User).where(User.role == Role.photographer))
    assert user is not None
    login(client, user.email)
    headers = {**TUS, "Upload-Length": "10", "Upload-Metadata": meta(album="tus-album")}
    refused = client.post("/api/v1/uploads/", headers=headers)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    csrf = csrf_from(client.get("/manage/albums/tus-album/upload").get_data(as_text=True))
    accepted = client.post("/api/v1/uploads/", headers={**headers, "X-CSRFToken": csrf})
    assert accepted.status_code == 201
    head = client.head(accepted.headers["Location"], headers=TUS)  # reads need no CSRF token
    assert head.status_code == 200
    assert client.post("/api/v1/events", json={}).status_code == 401  # other API routes: tokens only
