"""Embed pages (gallery/embed/views.py): who may frame them (headers), no cookies, visibility, the reused grid,
and the embed code / oEmbed discovery on the visitor pages."""

from __future__ import annotations

import html
import re
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from tests.conftest import login
from tests.web.helpers import add_photos, grid_ids, make_album, make_event

HOST_ORIGIN = "https://www.example.org"


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    event = make_event(db.session, "embed-event")
    public = make_album(db.session, event, "embed-public", title="Public <b>album</b>")
    unlisted = make_album(db.session, event, "embed-unlisted", visibility="unlisted")
    private = make_album(db.session, event, "embed-private", visibility="private")
    ids = {
        "public": add_photos(db.session, public, 3),
        "unlisted": add_photos(db.session, unlisted, 2),
        "private": add_photos(db.session, private, 2),
        "pending": add_photos(db.session, public, 1, status=PhotoStatus.processing),
    }
    db.session.commit()
    return {"ids": ids, "token": unlisted.share_token, "unlisted": unlisted, "public": public}


def _csp(response: Any) -> str:
    return response.headers["Content-Security-Policy"]


def _frame_ancestors(response: Any) -> str:
    match = re.search(r"frame-ancestors ([^;]+)", _csp(response))
    assert match
    return match.group(1).strip()


@pytest.mark.app_config(GALLERY_EMBED_ALLOWED_ORIGINS=f"{HOST_ORIGIN} https://blog.example.com")
def test_embed_routes_may_be_framed_by_the_configured_origins(client: FlaskClient, world: dict[str, Any]) -> None:
    photo_id = world["ids"]["public"][0]
    for path in ("/embed/albums/embed-public", f"/embed/photos/{photo_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _frame_ancestors(response) == f"{HOST_ORIGIN} https://blog.example.com"
        assert "X-Frame-Options" not in response.headers
        assert "Set-Cookie" not in response.headers
        assert "script-src 'self'" in _csp(response)
    # Ordinary pages keep refusing other sites.
    for path in ("/albums/embed-public", f"/albums/embed-public/photos/{photo_id}", "/", "/oembed?url=x"):
        response = client.get(path)
        assert _frame_ancestors(response) == "'self'", path
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_embed_pages_set_no_cookie_even_for_logged_in_users(
    client: FlaskClient, world: dict[str, Any], users: dict[str, Any]
) -> None:
    login(client, users["editor"].email)
    response = client.get("/embed/albums/embed-public")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    # No site chrome: no login/logout/manage links, no forms.
    body = response.get_data(as_text=True)
    assert "site-header" not in body and "<form" not in body and "/manage" not in body


def test_embed_album_reuses_the_grid_and_opens_links_in_new_tabs(client: FlaskClient, world: dict[str, Any]) -> None:
    body = client.get("/embed/albums/embed-public").get_data(as_text=True)
    assert grid_ids(body) == world["ids"]["public"]  # ready photos only, in album order
    assert world["ids"]["pending"][0] not in grid_ids(body)
    assert '<base target="_blank">' in body
    assert 'class="tile-link"' in body and "data-pswp-src" in body
    assert "/static/js/album.js" in body and "/static/js/embed-frame.js" in body
    for anchor in re.findall(r"<a [^>]*target=\"_blank\"[^>]*>", body):
        assert 'rel="noopener"' in anchor
    assert "Public &lt;b&gt;album&lt;/b&gt;" in body and "<b>album</b>" not in body


def test_visibility(client: FlaskClient, world: dict[str, Any], users: dict[str, Any]) -> None:
    token = world["token"]
    unlisted_photo = world["ids"]["unlisted"][0]
    private_photo = world["ids"]["private"][0]
    assert client.get("/embed/albums/embed-unlisted").status_code == 404
    assert client.get("/embed/albums/embed-unlisted?token=wrong").status_code == 404
    response = client.get(f"/embed/albums/embed-unlisted?token={token}")
    assert response.status_code == 200
    # Links within the embed carry the token so that the full pages open.
    assert f"token={token}" in html.unescape(response.get_data(as_text=True))
    assert client.get(f"/embed/photos/{unlisted_photo}").status_code == 404
    assert client.get(f"/embed/photos/{unlisted_photo}?token={token}").status_code == 200
    assert client.get("/embed/albums/no-such-album").status_code == 404
    assert client.get("/embed/photos/999999").status_code == 404
    assert client.get(f"/embed/photos/{world['ids']['pending'][0]}").status_code == 404
    # Private albums never, even for editors (embeds are public artefacts).
    login(client, users["editor"].email)
    assert client.get("/albums/embed-private").status_code == 200
    assert client.get("/embed/albums/embed-private").status_code == 404
    assert client.get(f"/embed/photos/{private_photo}").status_code == 404


def test_deleted_photo_is_not_embedded(client: FlaskClient, world: dict[str, Any]) -> None:
    from datetime import datetime

    photo_id = world["ids"]["public"][1]
    db.session.get(Photo, photo_id).deleted_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(f"/embed/photos/{photo_id}").status_code == 404
    assert photo_id not in grid_ids(client.get("/embed/albums/embed-public").get_data(as_text=True))


def _link_tag(body: str) -> str | None:
    """The ``url`` parameter of the oEmbed discovery link's href."""
    match = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', body)
    if not match:
        return None
    href = urlsplit(html.unescape(match.group(1)))
    assert href.path == "/oembed"
    query = parse_qs(href.query)
    assert query["format"] == ["json"]
    return query["url"][0]


def test_discovery_tag_and_embed_dialog(client: FlaskClient, world: dict[str, Any], users: dict[str, Any]) -> None:
    token = world["token"]
    photo_id = world["ids"]["public"][0]
    body = client.get("/albums/embed-public").get_data(as_text=True)
    assert _link_tag(body) == "http://localhost/albums/embed-public"
    assert '<details class="embed-code"' in body
    snippet = html.unescape(re.search(r'<textarea id="embed-code-snippet"[^>]*>([^<]*)</textarea>', body).group(1))
    assert snippet.startswith('<iframe src="http://localhost/embed/albums/embed-public"')
    assert 'loading="lazy"' in snippet and 'frameborder="0"' in snippet and "style=" not in snippet
    assert 'value="http://localhost/albums/embed-public"' in body
    photo_body = client.get(f"/albums/embed-public/photos/{photo_id}").get_data(as_text=True)
    assert _link_tag(photo_body) == f"http://localhost/albums/embed-public/photos/{photo_id}"
    assert f"/embed/photos/{photo_id}" in html.unescape(photo_body)
    # Unlisted: the token travels in the oEmbed url and the embed code.
    body = client.get(f"/albums/embed-unlisted?token={token}").get_data(as_text=True)
    assert _link_tag(body) == f"http://localhost/albums/embed-unlisted?token={token}"
    assert f"/embed/albums/embed-unlisted?token={token}" in html.unescape(body)
    # Private: neither, even for editors.
    login(client, users["editor"].email)
    body = client.get("/albums/embed-private").get_data(as_text=True)
    assert _link_tag(body) is None and "embed-code" not in body
