"""An unlisted album's share token opens the whole album (pages, ZIP, API, embeds), so only roles
with the editor permission (``edit_content``) may be handed it: photographers who upload to the
album get no link carrying it, on any page or JSON answer they can reach."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from gallery.models import Album
from tests.conftest import make_token
from tests.manage.conftest import World, fresh, token

PHOTOGRAPHER_PAGES = (
    "/manage/",
    "/manage/albums/main/photos",
    "/manage/albums/main/upload",
)


@pytest.fixture
def unlisted(app: Flask, world: World) -> str:
    editor = world.client(app, "editor")
    settings = {
        "title": "Main album", "description": "", "cover_photo_id": "", "visibility": "unlisted",
        "sort_mode": "capture_time", "original_downloads": "off", "csrf_token": token(editor),
    }
    assert editor.post("/manage/albums/main/edit", data=settings).status_code == 302
    share_token = fresh(Album, world.album.id).share_token
    assert share_token
    return share_token


def test_photographers_never_get_the_share_token(app: Flask, world: World, unlisted: str) -> None:
    client = world.client(app, "photographer")
    for path in PHOTOGRAPHER_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert unlisted not in html, f"{path} hands the share token to a photographer"
    # The visitor link is still there, without the token (the album then answers 404 to them).
    html = client.get("/manage/albums/main/photos").get_data(as_text=True)
    assert re.search(r'href="/albums/main"[^>]*>[^<]*View as visitors see it', html)
    assert client.get("/albums/main").status_code == 404

    # Nor through the API: not even with the token in hand does the answer carry share_url.
    bearer = {"Authorization": f"Bearer {make_token(world.users['photographer'])}"}
    body = client.get(f"/api/v1/albums/main?token={unlisted}", headers=bearer).get_json()
    assert "share_url" not in body and unlisted not in str(body)


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_get_the_share_link(app: Flask, world: World, unlisted: str, role: str) -> None:
    client = world.client(app, role)
    html = client.get("/manage/albums/main/photos").get_data(as_text=True)
    assert f'href="/albums/main?token={unlisted}"' in html
    assert f"/albums/main?token={unlisted}" in client.get("/manage/albums/main/edit").get_data(as_text=True)
    # The embed dialog on the visitor page carries it too, so the album can be embedded.
    album_page = client.get("/albums/main").get_data(as_text=True)
    assert f"/embed/albums/main?token={unlisted}" in album_page
    bearer = {"Authorization": f"Bearer {make_token(world.users[role])}"}
    assert client.get("/api/v1/albums/main", headers=bearer).get_json()["share_url"].endswith(f"?token={unlisted}")


def test_visitors_with_the_link_get_embed_code_with_their_token(app: Flask, world: World, unlisted: str) -> None:
    client = world.client(app, "anonymous")
    assert client.get("/albums/main").status_code == 404
    page = client.get(f"/albums/main?token={unlisted}").get_data(as_text=True)
    assert f"/embed/albums/main?token={unlisted}" in page
