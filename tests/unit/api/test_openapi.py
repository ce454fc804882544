"""The OpenAPI document stays true: it validates, documents exactly the API's
routes and methods, and real responses validate against its schemas."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from jsonschema import Draft4Validator
from openapi_spec_validator import validate
from PIL import Image

from tests.ingest.conftest import upload

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def resolve(schema: Any, spec: dict) -> Any:
    """Inline $refs and turn OpenAPI 3.0 `nullable` into JSON Schema."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolve(spec["components"]["schemas"][name], spec)
        # drop the keywords Draft 4 lacks (a property *named* format, whose value is a schema, stays)
        out = {
            k: resolve(v, spec)
            for k, v in schema.items()
            if not (k in ("nullable", "example", "format") and not isinstance(v, dict))
        }
        if schema.get("nullable"):
            base_type = out.get("type")
            if base_type:
                out["type"] = [base_type, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(schema, list):
        return [resolve(item, spec) for item in schema]
    return schema


def check_response(spec: dict, path: str, method: str, response) -> None:
    operation = spec["paths"][path][method]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, f"{method.upper()} {path} answered {status}, not documented: {sorted(documented)}"
    content = documented[status].get("content", {}).get("application/json")
    if content and "schema" in content:
        schema = resolve(content["schema"], spec)
        errors = sorted(Draft4Validator(schema).iter_errors(response.get_json()), key=str)
        assert not errors, [e.message for e in errors]


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_api_route_is_documented_and_nothing_else(app, spec):
    # a path item holds its operations and, optionally, the parameters they share
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    assert documented == api_routes(app)


def _jpeg(colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (500, 300), colour).save(out, "JPEG")
    return out.getvalue()


def test_real_responses_match_their_schemas(client, spec, tokens):
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    photographer = {"Authorization": f"Bearer {tokens['photographer']}"}

    def call(method: str, path: str, **kwargs):
        response = client.open(f"/api/v1{path}", method=method.upper(), **kwargs)
        template = re.sub(r"/events/[^/]+/albums", "/events/{event}/albums", path)
        template = re.sub(r"^/albums/[^/]+/photos$", "/albums/{album}/photos", template)
        template = re.sub(r"^/albums/[^/?]+$", "/albums/{album}", template)
        template = re.sub(r"^/photos/\d+$", "/photos/{photo_id}", template)
        check_response(spec, template, method, response)
        return response

    event = {"title": "ECC 2024", "starts_on": "2024-05-07", "ends_on": "2024-05-08", "timezone": "Europe/Brussels"}
    assert call("post", "/events", json=event, headers=editor).status_code == 201
    assert call("post", "/events", json={**event, "slug": "ecc-2024"}, headers=editor).status_code == 409
    assert call("post", "/events", json={**event, "timezone": "Mars/Olympus"}, headers=editor).status_code == 422
    assert call("post", "/events", data="nope", headers=editor).status_code == 415
    assert call("post", "/events", data="[1]", content_type="application/json", headers=editor).status_code == 400
    assert call("post", "/events", json=event).status_code == 401
    assert call("post", "/events", json=event, headers=photographer).status_code == 403
    album = call("post", "/events/ecc-2024/albums", json={"title": "Dzień 1", "visibility": "unlisted"}, headers=editor)
    assert album.status_code == 201
    slug = album.get_json()["slug"]
    assert call("post", "/events/nope/albums", json={"title": "x"}, headers=editor).status_code == 404

    created = upload(client, tokens["photographer"], slug, _jpeg())
    check_response(spec, "/albums/{album}/photos", "post", created)
    assert created.status_code == 201
    again = upload(client, tokens["photographer"], slug, _jpeg())
    check_response(spec, "/albums/{album}/photos", "post", again)
    bad = upload(client, tokens["photographer"], slug, b"GIF89a....")
    check_response(spec, "/albums/{album}/photos", "post", bad)
    assert bad.status_code == 415

    photo_id = created.get_json()["id"]
    assert call("get", f"/albums/{slug}", headers=editor).status_code == 200
    assert call("get", f"/albums/{slug}").status_code == 404  # unlisted without its token
    assert call("get", f"/photos/{photo_id}", headers=editor).status_code == 200
    assert call("patch", f"/photos/{photo_id}", json={"caption": "Otwarcie"}, headers=photographer).status_code == 200
    assert call("patch", f"/photos/{photo_id}", json={"position": "x"}, headers=editor).status_code == 422
    assert call("patch", f"/photos/{photo_id}", json={"sha256": "x"}, headers=editor).status_code == 422
    assert call("delete", f"/photos/{photo_id}", headers=photographer).status_code == 403
    assert call("delete", f"/photos/{photo_id}", headers=editor).status_code == 204
    deleted = upload(client, tokens["photographer"], slug, _jpeg())
    check_response(spec, "/albums/{album}/photos", "post", deleted)
    assert deleted.status_code == 409 and deleted.get_json()["error"]["code"] == "deleted"
    # the same bytes as an editor's photo in an album the photographer may not read
    assert upload(client, tokens["editor"], slug, _jpeg((9, 8, 7))).status_code == 201
    hidden = upload(client, tokens["photographer"], slug, _jpeg((9, 8, 7)))
    check_response(spec, "/albums/{album}/photos", "post", hidden)
    assert hidden.status_code == 200 and set(hidden.get_json()) == {"id", "sha256", "status"}
    assert call("get", f"/photos/{photo_id}", headers=editor).status_code == 404
    assert call("get", "/photos/99999999999").status_code == 404
