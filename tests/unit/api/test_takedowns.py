"""The takedown API routes (gallery/api/takedowns.py): bodies checked by the schema, the list
filter, and the document."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gallery.models import Role
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user


def test_bodies_and_the_list_filter(app: Flask, client: FlaskClient) -> None:
    token = make_token(make_user(Role.editor))
    auth = {"Authorization": f"Bearer {token}"}
    make_album("api-takedown")
    photo = add_photo(client, token, "api-takedown", jpeg(9))
    url = f"/api/v1/photos/{photo}/takedown-requests"
    assert client.post(url, data="not json", content_type="application/json").status_code == 400
    missing = client.post(url, json={})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "action"
    assert client.post(url, json={"action": "other", "boxes": [{"x": 2, "y": 0, "w": 1, "h": 1}]}).status_code == 422
    created = client.post(url, json={"action": "other", "reason": None, "email": None})
    assert created.status_code == 202 and created.get_json()["status"] == "open"
    assert client.get("/api/v1/takedown-requests?status=closed", headers=auth).status_code == 422
    assert client.get("/api/v1/takedown-requests?status=decided", headers=auth).get_json() == []
    listed = client.get("/api/v1/takedown-requests", headers=auth).get_json()
    assert [(r["id"], r["status"], r["photo_id"]) for r in listed] == [(created.get_json()["id"], "open", photo)]
    assert client.post("/api/v1/takedown-requests/1/decision", json={}, headers=auth).status_code == 422
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/photos/{photo_id}/takedown-requests", "/takedown-requests", "/tombstones/{sha256}"} <= set(
        document["paths"]
    )
