"""POST /api/v1/events and POST /api/v1/events/<event>/albums (gallery/api/events.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, OriginalDownloads, User, Visibility

EVENT = {
    "title": "European Cluster Conference 2024",
    "starts_on": "2024-05-07",
    "ends_on": "2024-05-08",
    "timezone": "Europe/Brussels",
    "location": "Brussels",
}


def post(client: FlaskClient, path: str, token: str, body: Any = None, **kwargs: Any) -> TestResponse:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def new_event(client: FlaskClient, token: str, **changes: Any) -> TestResponse:
    return post(client, "/api/v1/events", token, {**EVENT, **changes})


def new_album(client: FlaskClient, token: str, event: str, **body: Any) -> TestResponse:
    return post(client, f"/api/v1/events/{event}/albums", token, body)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def error_of(response: TestResponse, status: int) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


# --- events -------------------------------------------------------------------------------------------


def test_create_event(client: FlaskClient, tokens: dict[str, str], users: dict[str, User]) -> None:
    response = new_event(client, tokens["editor"], description="Two days of talks.")
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "european-cluster-conference-2024"
    assert {k: body[k] for k in EVENT} == EVENT
    assert body["description"] == "Two days of talks."
    assert body["url"].endswith("/events/european-cluster-conference-2024")
    assert response.headers["Location"] == body["url"]

    event = db.session.scalar(sa.select(Event))
    assert event is not None and event.slug == body["slug"] and event.timezone == "Europe/Brussels"
    assert str(event.starts_on) == "2024-05-07" and str(event.ends_on) == "2024-05-08"

    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "event.create"))
    assert entry is not None
    assert entry.user_id == users["editor"].id
    assert entry.object_type == "event" and entry.object_id == str(event.id)
    assert entry.details["via"] == "api" and entry.details["slug"] == body["slug"]
    assert entry.request_id == response.headers["X-Request-ID"]
    assert entry.ip


def test_admin_may_create_events(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert new_event(client, tokens["admin"]).status_code == 201


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Żółta łódź", "zolta-lodz"),
        ("Gdańsk: Zjazd Łowców Źródeł 2024", "gdansk-zjazd-lowcow-zrodel-2024"),
        ("European Cluster Conference 2024, Brussels, 7–8 May", "european-cluster-conference-2024-brussels-7-8-may"),
        ("  Spaces   and\ttabs  ", "spaces-and-tabs"),
    ],
)
def test_slug_from_title(client: FlaskClient, tokens: dict[str, str], title: str, slug: str) -> None:
    response = new_event(client, tokens["editor"], title=title)
    assert response.status_code == 201
    assert response.get_json()["slug"] == slug


def test_generated_slugs_never_collide(client: FlaskClient, tokens: dict[str, str]) -> None:
    slugs = [new_event(client, tokens["editor"], title="Żółta łódź").get_json()["slug"] for _ in range(3)]
    assert slugs == ["zolta-lodz", "zolta-lodz-2", "zolta-lodz-3"]


def test_long_titles_make_bounded_slugs(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = new_event(client, tokens["editor"], title="Conference " * 27)
    assert response.status_code == 201
    slug = response.get_json()["slug"]
    assert 0 < len(slug) <= 120 and not slug.endswith("-")


def test_explicit_slug(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = new_event(client, tokens["editor"], slug="ecc-2024")
    assert response.status_code == 201
    assert response.get_json()["slug"] == "ecc-2024"
    assert response.headers["Location"].endswith("/events/ecc-2024")


def test_explicit_slug_conflict_is_409(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert new_event(client, tokens["editor"], slug="ecc-2024").status_code == 201
    error = error_of(new_event(client, tokens["admin"], slug="ecc-2024", title="Other"), 409)
    assert error["code"] == "conflict" and error.get("field") == "slug"
    assert count(Event) == 1
    assert count(AuditLog) == 1 + 6  # one event.create plus the fixture's users and tokens


INVALID_EVENTS: list[tuple[dict[str, Any], str]] = [
    ({"colour": "red"}, "colour"),
    ({"starts_on": "2024-13-01"}, "starts_on"),
    ({"starts_on": "07/05/2024"}, "starts_on"),
    ({"starts_on": 20240507}, "starts_on"),
    ({"ends_on": None}, "ends_on"),
    ({"ends_on": "2024-05-06"}, "ends_on"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "CEST"}, "timezone"),
    ({"timezone": 2}, "timezone"),
    ({"title": "   "}, "title"),
    ({"title": None}, "title"),
    ({"title": ["a"]}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"title": "🎉🎉"}, "title"),
    ({"slug": "Bad Slug"}, "slug"),
    ({"slug": "-leading"}, "slug"),
    ({"slug": 7}, "slug"),
    ({"location": {"city": "Brussels"}}, "location"),
]


def test_invalid_events_are_422(client: FlaskClient, tokens: dict[str, str]) -> None:
    """Each bad value gets a 422 naming its field, and leaves nothing behind."""
    before = count(AuditLog)
    problems = []
    for changes, field in INVALID_EVENTS:
        response = new_event(client, tokens["editor"], **changes)
        body = response.get_json(silent=True) or {}
        error = body.get("error", {})
        if response.status_code != 422 or error.get("code") != "validation_error" or error.get("field") != field:
            problems.append(f"{changes}: {response.status_code} {body}")
    assert problems == []
    assert count(Event) == 0 and count(AuditLog) == before  # nothing left behind


def test_missing_fields_are_422(client: FlaskClient, tokens: dict[str, str]) -> None:
    for name in ("title", "starts_on", "ends_on", "timezone"):
        body = {k: v for k, v in EVENT.items() if k != name}
        error = error_of(post(client, "/api/v1/events", tokens["editor"], body), 422)
        assert error["field"] == name
    assert count(Event) == 0


def test_bad_json_is_400(client: FlaskClient, tokens: dict[str, str]) -> None:
    for raw in ('{"title": "x",', "not json", "[]", "null", '"text"', ""):
        response = client.post(
            "/api/v1/events",
            data=raw,
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens['editor']}"},
        )
        assert error_of(response, 400)["code"] == "bad_request", raw
    assert count(Event) == 0


def test_photographers_cannot_create_events(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert error_of(new_event(client, tokens["photographer"]), 403)["code"] == "forbidden"
    assert count(Event) == 0


# --- albums -------------------------------------------------------------------------------------------


@pytest.fixture
def event(client: FlaskClient, tokens: dict[str, str]) -> str:
    response = new_event(client, tokens["editor"], slug="ecc-2024")
    assert response.status_code == 201
    return "ecc-2024"


def test_create_album(client: FlaskClient, tokens: dict[str, str], users: dict[str, User], event: str) -> None:
    response = new_album(client, tokens["editor"], event, title="Dzień pierwszy", description="Day one")
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "dzien-pierwszy"
    assert body["event"] == event and body["title"] == "Dzień pierwszy" and body["description"] == "Day one"
    assert body["visibility"] == "public"
    assert body["original_downloads"] == "off"
    assert body["url"].endswith("/albums/dzien-pierwszy")
    assert response.headers["Location"] == body["url"]

    album = db.session.scalar(sa.select(Album))
    assert album is not None and album.event.slug == event and album.created_by_id == users["editor"].id
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "album.create"))
    assert entry is not None and entry.user_id == users["editor"].id
    assert entry.object_id == str(album.id) and entry.details["event"] == event and entry.details["via"] == "api"
    assert entry.request_id == response.headers["X-Request-ID"]


def test_unlisted_album_json_carries_the_share_url(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    response = new_album(client, tokens["editor"], event, title="Backstage", visibility="unlisted")
    assert response.status_code == 201
    body = response.get_json()
    assert body["visibility"] == "unlisted"
    album = db.session.scalar(sa.select(Album).where(Album.slug == body["slug"]))
    assert album is not None and album.visibility is Visibility.unlisted
    assert album.share_token and len(album.share_token) >= 20
    assert body["share_url"].startswith(body["url"])
    assert album.share_token in body["share_url"]


def test_album_options(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    response = new_album(
        client,
        tokens["admin"],
        event,
        title="Prasa",
        slug="press",
        visibility="private",
        sort_mode="manual",
        original_downloads="without_location",
    )
    assert response.status_code == 201
    album = db.session.scalar(sa.select(Album).where(Album.slug == "press"))
    assert album is not None
    assert album.visibility is Visibility.private
    assert album.original_downloads is OriginalDownloads.without_location
    assert response.get_json()["sort_mode"] == "manual"


def test_album_slugs_are_unique_across_the_site(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    assert new_event(client, tokens["editor"], slug="other-event").status_code == 201
    first = new_album(client, tokens["editor"], event, title="Day 1")
    second = new_album(client, tokens["editor"], "other-event", title="Day 1")
    assert (first.get_json()["slug"], second.get_json()["slug"]) == ("day-1", "day-1-2")
    error = error_of(new_album(client, tokens["editor"], "other-event", title="Again", slug="day-1"), 409)
    assert error["code"] == "conflict" and error["field"] == "slug"
    assert count(Album) == 2


INVALID_ALBUMS: list[tuple[dict[str, Any], str]] = [
    ({"title": "A", "visibility": "secret"}, "visibility"),
    ({"title": "A", "visibility": None}, "visibility"),
    ({"title": "A", "original_downloads": "always"}, "original_downloads"),
    ({"title": "A", "sort_mode": "random"}, "sort_mode"),
    ({"title": ""}, "title"),
    ({}, "title"),
    ({"title": "A", "cover": 3}, "cover"),
    ({"title": "A", "slug": "Not Valid"}, "slug"),
]


def test_invalid_albums_are_422(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    before = count(AuditLog)
    problems = []
    for body, field in INVALID_ALBUMS:
        response = new_album(client, tokens["editor"], event, **body)
        error = (response.get_json(silent=True) or {}).get("error", {})
        if response.status_code != 422 or error.get("field") != field:
            problems.append(f"{body}: {response.status_code} {error}")
    assert problems == []
    assert count(Album) == 0 and count(AuditLog) == before


def test_album_in_unknown_event_is_404(client: FlaskClient, tokens: dict[str, str]) -> None:
    error = error_of(new_album(client, tokens["editor"], "no-such-event", title="A"), 404)
    assert error["code"] == "not_found"
    assert count(Album) == 0


def test_album_bad_json_is_400(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    response = client.post(
        f"/api/v1/events/{event}/albums",
        data="{",
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['editor']}"},
    )
    assert error_of(response, 400)["code"] == "bad_request"


def test_photographers_cannot_create_albums(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    assert error_of(new_album(client, tokens["photographer"], event, title="A"), 403)["code"] == "forbidden"
    assert count(Album) == 0
