"""gallery/api/direct_uploads.py: direct uploads to S3 over HTTP: the answers' shapes, who may,
the session with its CSRF token, bad bodies (the whole way through the bucket:
tests/uploads/test_direct_s3.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Role, User
from tests.archive.conftest import archive_schemas, make_album, make_instance
from tests.conftest import csrf_from, login, make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env, moto_server

__all__ = ["archive_schemas", "make_instance"]  # the archive suite's separate instances, as fixtures here

SHA = "ab" * 32
BODY = {"filename": "big.jpg", "size": 30 * 1024 * 1024, "sha256": SHA}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def s3_app(make_instance: Callable[..., Flask], endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name, value in moto_env(endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(endpoint).bucket
    app = make_instance(GALLERY_STORAGE_URL=f"s3://{bucket}/media", GALLERY_S3_ENDPOINT_URL=endpoint)
    with app.app_context():
        make_album("direct")
        yield app


def test_start_answers_parts_and_the_completion_url(s3_app: Flask) -> None:
    token = make_token(make_user(Role.photographer))
    response = s3_app.test_client().post(
        "/api/v1/albums/direct/direct-uploads", json=BODY, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"id", "part_size", "parts", "complete_url", "upload_id", "sign_url"}
    assert body["sign_url"] == f"http://localhost/api/v1/direct-uploads/{body['id']}/sign"
    assert all(f"uploadId={body['upload_id']}" in part["url"] for part in body["parts"])
    assert body["part_size"] == 8 * 1024 * 1024 and [p["number"] for p in body["parts"]] == [1, 2, 3, 4]
    assert body["complete_url"] == f"http://localhost/api/v1/direct-uploads/{body['id']}/complete"
    assert all("partNumber=" in part["url"] for part in body["parts"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**BODY, "sha256": "not-hex"}, 422),
        ({**BODY, "size": "12"}, 422),
        ({"filename": "a.jpg", "size": 1}, 422),
        ({**BODY, "size": 0}, 400),
        ({**BODY, "size": 10**12}, 413),
    ],
)
def test_bad_starts(s3_app: Flask, body: dict[str, object], status: int) -> None:
    token = make_token(make_user(Role.editor))
    response = s3_app.test_client().post(
        "/api/v1/albums/direct/direct-uploads", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["message"]
    assert (
        s3_app.extensions["gallery_storage"]
        .client.list_multipart_uploads(Bucket=s3_app.extensions["gallery_storage"].bucket)
        .get("Uploads", [])
        == []
    )


def test_unknown_album_and_upload(s3_app: Flask) -> None:
    client = s3_app.test_client()
    headers = {"Authorization": f"Bearer {make_token(make_user(Role.editor))}"}
    assert client.post("/api/v1/albums/nope/direct-uploads", json=BODY, headers=headers).status_code == 404
    parts = {"parts": [{"number": 1, "etag": '"x"'}]}
    assert client.post("/api/v1/direct-uploads/unknown-key/complete", json=parts, headers=headers).status_code == 404
    assert (
        client.post("/api/v1/direct-uploads/unknown-key/complete", json={"parts": []}, headers=headers).status_code
        == 422
    )
    assert client.post("/api/v1/albums/direct/direct-uploads", json=BODY).status_code == 401


def test_the_upload_page_session_needs_its_csrf_token(s3_app: Flask) -> None:
    make_user(Role.photographer)
    user = db.session.scalar(sa.select(User).where(User.role == Role.photographer))
    assert user is not None
    client = s3_app.test_client()
    login(client, user.email)
    refused = client.post("/api/v1/albums/direct/direct-uploads", json=BODY)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    csrf = csrf_from(client.get("/manage/albums/direct/upload").get_data(as_text=True))
    accepted = client.post("/api/v1/albums/direct/direct-uploads", json=BODY, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    # The page's @uppy/aws-s3 has each request signed the same way: the session and its token.
    sign = f"/api/v1/direct-uploads/{accepted.get_json()['id']}/sign"
    request = {"method": "PUT", "upload_id": accepted.get_json()["upload_id"], "part_number": 4}
    assert client.post(sign, json=request).status_code == 400
    signed = client.post(sign, json=request, headers={"X-CSRFToken": csrf})
    assert signed.status_code == 200 and "partNumber=4" in signed.get_json()["url"]
    assert client.post(sign, json={**request, "part_number": 5}, headers={"X-CSRFToken": csrf}).status_code == 422


def test_only_the_uploader_has_requests_signed(s3_app: Flask) -> None:
    token = make_token(make_user(Role.photographer))
    started = (
        s3_app.test_client()
        .post("/api/v1/albums/direct/direct-uploads", json=BODY, headers={"Authorization": f"Bearer {token}"})
        .get_json()
    )
    sign = f"/api/v1/direct-uploads/{started['id']}/sign"
    request = {"method": "GET", "upload_id": started["upload_id"]}
    other = make_token(make_user(Role.admin))
    assert (
        s3_app.test_client().post(sign, json=request, headers={"Authorization": f"Bearer {other}"}).status_code == 404
    )
    assert s3_app.test_client().post(sign, json=request).status_code == 401


def test_the_document_lists_both_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    start = paths["/albums/{album}/direct-uploads"]["post"]
    assert {"201", "200", "409", "413"} <= set(start["responses"])
    assert "422" in paths["/direct-uploads/{key}/complete"]["post"]["responses"]
    assert {"200", "404", "409", "410", "422"} <= set(paths["/direct-uploads/{key}/sign"]["post"]["responses"])
    assert {"post"} <= set(paths["/uploads/"]) and {"get", "patch", "delete"} <= set(paths["/uploads/{key}"])
