"""An album that accepts camera RAW files (albums.accepts_raw) on the management pages: the settings page
switches it on and off; the upload page then offers RAW files and says what happens to them."""

from __future__ import annotations

import re

from flask import Flask

from gallery.models import Album
from tests.unit.manage.conftest import World, fresh, token
from tests.unit.manage.test_albums import settings


def raw_checkbox(html: str) -> str:
    found = re.search(r'<input[^>]*name="accepts_raw"[^>]*>', html)
    assert found is not None
    return found.group(0)


def test_editors_switch_raw_uploads_on_and_off(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    assert "checked" not in raw_checkbox(page)
    assert ".dng" not in client.get("/manage/albums/main/upload").get_data(as_text=True)

    on = client.post("/manage/albums/main/edit", data={**settings(), "accepts_raw": "y", "csrf_token": token(client)})
    assert on.status_code == 302 and fresh(Album, world.album.id).accepts_raw is True
    upload_page = client.get("/manage/albums/main/upload").get_data(as_text=True)
    assert ".dng" in upload_page and "camera RAW files" in upload_page
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    assert "checked" in raw_checkbox(page)

    off = client.post("/manage/albums/main/edit", data={**settings(), "csrf_token": token(client)})
    assert off.status_code == 302 and fresh(Album, world.album.id).accepts_raw is False
