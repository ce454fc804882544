"""An unlisted album's web sizes, end to end: the media URLs that its pages, embeds, oEmbed answers
and API answers hand to someone who came with the share link work (for anyone who has them); the
same URLs without their signature are 404, they expire (tests/unit/web/test_media.py), and a new
share link voids them.  Public albums keep
plain, publicly cacheable URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask

from gallery.extensions import db
from gallery.models import Album, User
from tests.conftest import login, make_token
from tests.unit.manage.conftest import token as csrf_token
from tests.web.download_world import World, build_world

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400")

MEDIA_URL = re.compile(
    r"""(?:https?://[^/"'\s]+)?/media/derivatives/[0-9a-f]{64}/[0-9a-f]{16}/\d+\.(?:jpg|webp)(?:\?exp=\d+&sig=[0-9a-f]+)?"""
)


@pytest.fixture
def world(app: Flask, users: dict[str, User]) -> World:
    return build_world(app.test_client(), make_token(users["editor"]))


def media_urls(text: str) -> set[str]:
    found = {html.unescape(m) for m in MEDIA_URL.findall(html.unescape(text))}
    assert found, "no media URLs in the answer"
    return found


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetch(app: Flask, url: str) -> tuple[int, str | None]:
    response = app.test_client().get(path_of(url))  # a stranger: no cookie, nothing but the URL
    return response.status_code, response.headers.get("Cache-Control")


def test_unlisted_media_urls_work_with_their_signature_and_not_without(app: Flask, world: World) -> None:
    album = world.albums["unlisted"]
    token = album.share_token
    photo_id = world.photos[album.slug][0]
    visitor = app.test_client()
    assert visitor.get(f"/albums/{album.slug}").status_code == 404

    answers = {
        "album page": visitor.get(f"/albums/{album.slug}?token={token}").get_data(as_text=True),
        "photo page": visitor.get(f"/albums/{album.slug}/photos/{photo_id}?token={token}").get_data(as_text=True),
        "embed": visitor.get(f"/embed/albums/{album.slug}?token={token}").get_data(as_text=True),
        "embedded photo": visitor.get(f"/embed/photos/{photo_id}?token={token}").get_data(as_text=True),
        "API": visitor.get(f"/api/v1/albums/{album.slug}?token={token}").get_data(as_text=True),
    }
    seen: set[str] = set()
    for where, text in answers.items():
        urls = media_urls(text)
        assert str(token) not in " ".join(urls), f"{where}: media URLs must not carry the share token itself"
        for url in urls:
            assert "?exp=" in url and "&sig=" in url, (where, url)
            assert fetch(app, url) == (200, "private, no-store"), (where, url)
            bare = path_of(url).split("?", 1)[0]
            assert fetch(app, bare)[0] == 404, (where, bare)
            assert fetch(app, bare + "?sig=" + "0" * 32)[0] == 404, (where, bare)
        seen |= urls
    assert 'property="og:image" content="http://localhost/media/derivatives/' in answers["photo page"]
    # oEmbed JSON is a public artefact: no media signature in it (the iframe carries the share token).
    oembed = visitor.get(
        "/oembed?url=" + quote(f"http://localhost/albums/{album.slug}/photos/{photo_id}?token={token}", safe="")
    )
    assert oembed.status_code == 200 and "sig=" not in oembed.get_data(as_text=True)
    assert f"token={token}" in oembed.get_json()["html"]

    # A new share link: the old one, and every media URL made for it, stop working.
    editor = app.test_client()
    login(editor, "editor@example.org")
    response = editor.post(f"/manage/albums/{album.slug}/share-link", data={"csrf_token": csrf_token(editor)})
    assert response.status_code == 302
    assert db.session.get(Album, album.id).share_token != token
    for url in seen:
        assert fetch(app, url)[0] == 404, url


def test_public_media_urls_stay_plain_and_publicly_cacheable(app: Flask, world: World) -> None:
    album = world.albums["public"]
    text = app.test_client().get(f"/albums/{album.slug}").get_data(as_text=True)
    for url in media_urls(text):
        assert "?" not in url
        assert fetch(app, url) == (200, "public, max-age=31536000, immutable")


def test_editors_pages_of_unlisted_albums_carry_signed_media_urls(
    app: Flask, world: World, users: dict[str, User]
) -> None:
    """Editors may share the album, so the media URLs of their pages (and API answers) work for
    whoever they hand them to; photographers' pages carry none they could pass on."""
    album = world.albums["unlisted"]
    editor = app.test_client()
    login(editor, users["editor"].email)
    for url in media_urls(editor.get(f"/albums/{album.slug}").get_data(as_text=True)):
        assert fetch(app, url)[0] == 200, url
    bearer = {"Authorization": f"Bearer {make_token(users['editor'])}"}
    body = app.test_client().get(f"/api/v1/albums/{album.slug}", headers=bearer).get_data(as_text=True)
    for url in media_urls(body):
        assert fetch(app, url)[0] == 200, url
    # A photographer (who may not hand out the link) cannot open the album at all.
    photographer = app.test_client()
    login(photographer, users["photographer"].email)
    assert photographer.get(f"/albums/{album.slug}").status_code == 404
    bearer = {"Authorization": f"Bearer {make_token(users['photographer'])}"}
    assert app.test_client().get(f"/api/v1/albums/{album.slug}", headers=bearer).status_code == 404
