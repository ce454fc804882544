"""The dashboard links to every management page the role may use; unknown objects are
404 pages; what users typed is escaped on the management pages."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.extensions import db
from gallery.models import Album, Photo
from tests.manage.conftest import World, token

EDITOR_LINKS = [
    "/manage/events", "/manage/events/new", "/manage/events/ecc/edit", "/manage/events/ecc/albums/new",
    "/manage/events/ecc/reports", "/manage/events/ecc/clock", "/manage/albums/main/edit",
    "/manage/albums/main/photos", "/manage/albums/main/upload",
]


def test_dashboard_links_for_editors_and_admins(app: Flask, world: World) -> None:
    html = world.client(app, "editor").get("/manage/").get_data(as_text=True)
    for link in EDITOR_LINKS:
        assert f'href="{link}"' in html, link
    assert 'href="/manage/audit"' not in html
    assert 'href="/manage/audit"' in world.client(app, "admin").get("/manage/").get_data(as_text=True)
    # the album pages link to each other, including the order page and the bin
    album_page = world.client(app, "editor").get("/manage/albums/main/edit").get_data(as_text=True)
    for link in ("/manage/albums/main/order", "/manage/albums/main/deleted", "/manage/albums/main/photos"):
        assert f'href="{link}"' in album_page


def test_dashboard_for_photographers_links_only_what_they_may_use(app: Flask, world: World) -> None:
    html = world.client(app, "photographer").get("/manage/").get_data(as_text=True)
    assert 'href="/manage/albums/main/photos"' in html and 'href="/manage/albums/main/upload"' in html
    for link in ("/manage/events", "/manage/albums/main/edit", "/manage/events/ecc/clock", "/manage/audit"):
        assert f'href="{link}"' not in html, link


@pytest.mark.parametrize(
    "path",
    ["/manage/events/nope/edit", "/manage/albums/nope/edit", "/manage/albums/nope/photos", "/manage/albums/nope/order",
     "/manage/events/ecc/reports/nope/edit", "/manage/events/nope/clock", "/manage/albums/nope/deleted"],
)
def test_unknown_objects_are_404(app: Flask, world: World, path: str) -> None:
    response = world.client(app, "editor").get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_typed_text_is_escaped(app: Flask, world: World) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    album = db.session.get(Album, world.album.id)
    album.title = payload
    photo = db.session.get(Photo, world.editor_photos[0])
    photo.caption = payload
    photo.original_filename = payload
    db.session.commit()
    client = world.client(app, "editor")
    for path in ("/manage/", "/manage/events", "/manage/albums/main/edit", "/manage/albums/main/photos",
                 "/manage/albums/main/order", "/manage/events/ecc/clock?camera=%5B%22Canon%22%2C+%22EOS+R6%22%2C+%22%22%5D&offset=1h"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path
    # and the JSON of a per-photo save
    response = client.post(f"/manage/photos/{photo.id}", data={"credit": payload},
                           headers={"X-CSRFToken": token(client), "Accept": "application/json"})
    assert response.get_json()["credit"] == payload and response.mimetype == "application/json"
