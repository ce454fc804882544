"""Hostile JSON bodies against every JSON endpoint of the API document: lone surrogates in
every string field (and in keys), deeply nested arrays and objects, invalid UTF-8.  Each is
a 400 (malformed body) or 422 (well-formed body, invalid value) in the contract's error
shape; none is a 500 and none writes anything."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.consent.models import TakedownRequest
from gallery.extensions import db
from gallery.models import Album, Event, Photo, Report, Role
from gallery.schedule.models import EventSession
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user

LONE_SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\ud83d"]  # high, low, embedded, half an emoji
DEEP = 100_000


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    token = make_token(make_user(Role.admin))
    album = make_album("json-album", event_slug="json-event")
    photo_id = add_photo(app.test_client(), token, album.slug, jpeg(7))
    db.session.add(Report(event_id=album.event_id, slug="json-report", title="Report", language="en", body="Text."))
    start = datetime(2024, 5, 7, 8, tzinfo=UTC)
    db.session.add(
        EventSession(event_id=album.event_id, slug="json-session", title="Session", starts_at=start, ends_at=start)
    )
    takedown = TakedownRequest(photo_id=photo_id, sha256="0" * 64, action="other", history=[])
    db.session.add(takedown)
    db.session.commit()
    return {
        "token": token,
        "request_id": takedown.id,
        "event": "json-event",
        "album": "json-album",
        "photo_id": photo_id,
        "report": "json-report",
        "session": "json-session",
        # a direct upload's key (POST /direct-uploads/{key}/complete): the body is read and refused
        # before the upload is looked up, so no upload (nor S3) is needed for a malformed one
        "key": "json-direct-upload",
    }


def _json_operations(client: FlaskClient) -> list[tuple[str, str, dict[str, Any]]]:
    doc = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            content = op.get("requestBody", {}).get("content", {}) if isinstance(op, dict) else {}
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                if "$ref" in schema:
                    name = schema["$ref"].rsplit("/", 1)[-1]
                    schema = doc["components"]["schemas"][name]
                found.append((method.upper(), path, schema))
    return found


def _url(path: str, world: dict[str, Any]) -> str:
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), path)


def _valid_example(schema: dict[str, Any]) -> dict[str, Any]:
    """A body that the endpoint would accept, so only the hostile value is wrong."""
    examples = {
        "title": "Plenary", "slug": None, "starts_on": "2024-05-07", "ends_on": "2024-05-08",
        "timezone": "Europe/Brussels", "location": "Brussels", "visibility": "public",
        "caption": "Opening", "alt_text": "A stage", "credit": "Anna", "position": 1,
        "make": "NIKON", "model": "Z 6", "serial": "", "offset_seconds": 60, "offset": "+1m",
        "starts_at": "2024-05-07T10:00:00Z", "ends_at": "2024-05-07T11:00:00Z",
        "action": "hide",  # a takedown request's and a decision's
    }  # fmt: skip
    body: dict[str, Any] = {}
    for name in schema.get("properties", {}):
        if name in examples and examples[name] is not None:
            body[name] = examples[name]
    return body


def _string_fields(schema: dict[str, Any]) -> list[str]:
    names = []
    for name, prop in schema.get("properties", {}).items():
        types = prop.get("type")
        if types == "string" or (isinstance(types, list) and "string" in types) or "enum" in prop:
            names.append(name)
    return names


def _counts() -> tuple[int, int, int, int, int]:
    return (
        db.session.query(Event).count(),
        db.session.query(Album).count(),
        db.session.query(Photo).count(),
        db.session.query(Report).count(),
        db.session.query(EventSession).count(),
    )


def _assert_refused(response: Any, allowed: tuple[int, ...]) -> None:
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert isinstance(body, dict) and set(body["error"]) >= {"code", "message"}, body
    assert body["error"]["message"]


def test_every_json_endpoint_is_covered(client: FlaskClient, world: dict[str, Any]) -> None:
    labels = {(m, p) for m, p, _ in _json_operations(client)}
    assert ("POST", "/events") in labels and ("PATCH", "/photos/{photo_id}") in labels
    assert ("POST", "/events/{event}/albums") in labels
    assert {("PATCH", "/events/{event}"), ("PATCH", "/albums/{album}")} <= labels
    assert {("POST", "/events/{event}/reports"), ("PATCH", "/events/{event}/reports/{report}")} <= labels


def test_lone_surrogates_in_any_string_field_are_422(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}
    tried = 0
    for method, path, schema in _json_operations(client):
        for field in _string_fields(schema):
            for bad in LONE_SURROGATES:
                before = _counts()
                body = {**_valid_example(schema), field: bad}
                # json.dumps escapes the surrogate as \ud800: well-formed JSON, invalid text.
                response = client.open(_url(path, world), method=method, data=json.dumps(body), headers=headers)
                _assert_refused(response, (422,))
                assert response.get_json()["error"].get("field") == field
                db.session.rollback()
                assert _counts() == before
                tried += 1
    assert tried >= 20


def test_a_lone_surrogate_in_a_key_is_refused(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}
    for method, path, schema in _json_operations(client):
        body = json.dumps({**_valid_example(schema), "\ud800": "x"})
        _assert_refused(client.open(_url(path, world), method=method, data=body, headers=headers), (400, 422))


@pytest.mark.parametrize(
    "raw",
    [
        "[" * DEEP + "]" * DEEP,
        "[" * DEEP,
        '{"a":' * DEEP + "1" + "}" * DEEP,
        '{"caption": ' + "[" * 200 + "]" * 200 + "}",
        b'{"caption": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 (CESU-8): invalid UTF-8
        b'{"caption": "\xff"}',
        "",
        "{",
        "null",
        "[]",
        '"\\ud800"',
    ],
    ids=["deep-array", "deep-unclosed", "deep-object", "deep-in-field", "cesu8", "invalid-utf8",
         "empty", "truncated", "null", "array", "surrogate-string"],
)  # fmt: skip
def test_malformed_and_deep_bodies_are_400(client: FlaskClient, world: dict[str, Any], raw: str | bytes) -> None:
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}
    for method, path, _schema in _json_operations(client):
        before = _counts()
        response = client.open(_url(path, world), method=method, data=raw, headers=headers)
        _assert_refused(response, (400, 422))
        db.session.rollback()
        assert _counts() == before


def test_valid_unicode_still_round_trips(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {world['token']}"}
    caption = "Żółw 🐢 — 日本語 \u202e RTL"
    response = client.patch(f"/api/v1/photos/{world['photo_id']}", json={"caption": caption}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["caption"] == caption
