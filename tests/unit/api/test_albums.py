"""GET /api/v1/events/<event>/albums (cursor pages, by visibility), PATCH|DELETE /api/v1/albums/<album>,
on SQLite and PostgreSQL: visitors see public albums listed, editors every one and the editor-only
fields; deleting an album that still holds photos is a 409."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, Visibility, report_albums
from tests.unit.api.helpers import call, error, every_page
from tests.web.helpers import add_photos, make_album, make_event, make_report


@pytest.fixture
def event(app: Flask) -> Event:
    event = make_event(db.session, "ecc")
    for n, visibility in enumerate(["public", "unlisted", "private", "public", "public"]):
        make_album(db.session, event, f"album-{n}", visibility=visibility)
    return event


def slugs(pages: list[list[dict]]) -> list[str]:
    return [item["slug"] for page in pages for item in page]


def test_visitors_see_public_albums_only(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    for who in (None, tokens["photographer"]):
        pages = every_page(client, "/events/ecc/albums", who, limit=2)
        assert slugs(pages) == ["album-0", "album-3", "album-4"]
        item = pages[0][0]
        assert set(item) == {"slug", "event", "title", "description", "visibility", "sort_mode", "url"}
    assert slugs(every_page(client, "/events/ecc/albums", None, visibility="private")) == []


def test_editors_see_every_album_and_its_settings(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    for limit in (1, 2, 5, 6):
        pages = every_page(client, "/events/ecc/albums", tokens["editor"], limit=limit)
        assert slugs(pages) == [f"album-{n}" for n in range(5)]
    unlisted = every_page(client, "/events/ecc/albums", tokens["editor"], visibility="unlisted")[0][0]
    album = db.session.scalar(sa.select(Album).where(Album.slug == "album-1"))
    assert album is not None and unlisted["share_url"] == f"http://localhost/albums/album-1?token={album.share_token}"
    assert unlisted["original_downloads"] == "off"
    assert error(call(client, "GET", "/events/ecc/albums?visibility=secret"), 422)["field"] == "visibility"


def test_change_an_album(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    response = call(client, "PATCH", "/albums/album-0", tokens["editor"], json={"visibility": "unlisted"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["visibility"] == "unlisted" and body["title"] == "Album album-0" and "share_url" in body
    album = db.session.scalar(sa.select(Album).where(Album.slug == "album-0"))
    assert album is not None and album.visibility is Visibility.unlisted
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "album.update"))
    assert entry is not None and entry.details["changes"] == {"visibility": ["public", "unlisted"]}


@pytest.mark.parametrize(("body", "field"), [
    ({"visibility": "secret"}, "visibility"), ({"sort_mode": "random"}, "sort_mode"),
    ({"original_downloads": "always"}, "original_downloads"), ({"title": ""}, "title"), ({"slug": "x"}, "slug"),
    ({"event": "other"}, "event"), ({"title": "x" * 301}, "title"),
])  # fmt: skip
def test_bad_album_changes_are_422(
    client: FlaskClient, tokens: dict[str, str], event: Event, body: dict, field: str
) -> None:
    assert error(call(client, "PATCH", "/albums/album-0", tokens["editor"], json=body), 422)["field"] == field


def test_photographers_may_not_change_albums(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    response = call(client, "PATCH", "/albums/album-0", tokens["photographer"], json={"title": "Mine"})
    assert error(response, 403)["code"] == "forbidden"


def test_delete_an_empty_album(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    album = db.session.scalar(sa.select(Album).where(Album.slug == "album-3"))
    make_report(db.session, event, "links", "Text.", albums=[album])
    assert call(client, "DELETE", "/albums/album-3", tokens["editor"]).status_code == 204
    db.session.expire_all()
    assert db.session.scalar(sa.select(Album).where(Album.slug == "album-3")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(report_albums)) == 0
    assert error(call(client, "DELETE", "/albums/album-3", tokens["editor"]), 404)["code"] == "not_found"


@pytest.mark.parametrize("in_bin", [False, True])
def test_an_album_with_photos_is_409(client: FlaskClient, tokens: dict[str, str], event: Event, in_bin: bool) -> None:
    album = db.session.scalar(sa.select(Album).where(Album.slug == "album-4"))
    extra = {"deleted_at": datetime(2024, 6, 1, tzinfo=UTC)} if in_bin else None
    add_photos(db.session, album, 1, extra=extra)
    err = error(call(client, "DELETE", "/albums/album-4", tokens["admin"]), 409)
    assert err["code"] == "not_empty" and "1 photo " in err["message"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(Album).where(Album.slug == "album-4")) is not None
