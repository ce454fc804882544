"""Albums (gallery/manage/albums.py): create, settings (cover, visibility and share link, sort mode, original
downloads with the location warning), manual order (JSON and number inputs)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, can_view_album
from gallery.extensions import db
from gallery.models import Album, OriginalDownloads, Photo, SortMode, Visibility
from gallery.photos.reorder import display_order
from tests.conftest import make_token
from tests.unit.manage.conftest import World, add_photo, audit_actions, fresh, token

EXACT_WARNING = "everyone who can see this album can download them with it"


def settings(**changes: str) -> dict[str, str]:
    data = {
        "title": "Main album",
        "description": "",
        "cover_photo_id": "",
        "visibility": "public",
        "sort_mode": "capture_time",
        "original_downloads": "off",
    }
    data.update(changes)
    return data


def test_create_album(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    assert client.get("/manage/events/ecc/albums/new").status_code == 200
    response = client.post(
        "/manage/events/ecc/albums/new",
        data={"title": "Day two", "visibility": "unlisted", "description": "", "csrf_token": token(client)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/manage/albums/day-two/upload"
    album = albums.get_album(db.session, "day-two")
    assert album.event_id == world.event.id and album.visibility == Visibility.unlisted and album.share_token
    bad = client.post(
        "/manage/events/ecc/albums/new",
        data={"title": "X", "slug": "main", "visibility": "public", "csrf_token": token(client)},
    )
    assert bad.status_code == 422 and "taken" in bad.get_data(as_text=True)
    bad = client.post(
        "/manage/events/ecc/albums/new", data={"title": "X", "visibility": "secret", "csrf_token": token(client)}
    )
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)


def test_album_settings_are_saved_and_audited(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    cover = world.editor_photos[2]
    assert f'<option value="{cover}">' in page  # the cover picker lists the album's photos
    data = settings(
        title="Opening",
        description="First day.",
        cover_photo_id=str(cover),
        sort_mode="manual",
        original_downloads="without_location",
    )
    response = client.post("/manage/albums/main/edit", data={**data, "csrf_token": token(client)})
    assert response.status_code == 302
    album = fresh(Album, world.album.id)
    assert (album.title, album.description, album.cover_photo_id, album.sort_mode, album.original_downloads) == (
        "Opening",
        "First day.",
        cover,
        SortMode.manual,
        OriginalDownloads.without_location,
    )
    assert audit_actions()[-1] == "album.update"
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    assert "Album saved." in page and 'class="cover-thumb"' in page


def test_cover_must_be_a_photo_of_the_album(app: Flask, world: World) -> None:
    stranger = add_photo(world.far)
    client = world.client(app, "editor")
    for value in (str(stranger.id), "abc", "0"):
        response = client.post(
            "/manage/albums/main/edit", data={**settings(cover_photo_id=value), "csrf_token": token(client)}
        )
        assert response.status_code == 422, value
    assert fresh(Album, world.album.id).cover_photo_id is None


def test_exact_originals_say_that_location_data_is_included(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    before = client.get("/manage/albums/main/edit").get_data(as_text=True)
    # before choosing: the option itself says it, and a warning waits for the script
    assert EXACT_WARNING in before and 'id="exact-warning"' in before and 'id="exact-active"' not in before
    assert "Exact originals, including location data (GPS)" in before
    response = client.post(
        "/manage/albums/main/edit", data={**settings(original_downloads="exact"), "csrf_token": token(client)}
    )
    assert response.status_code == 302
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="exact-active"' in after and "Originals with location data are downloadable." in after
    assert "with their location data (GPS), by everyone who can see the album" in after  # the flash
    assert fresh(Album, world.album.id).original_downloads == OriginalDownloads.exact
    entry = db.session.execute(sa.text("SELECT details FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    assert "location" in str(entry)


def test_share_link_is_shown_and_can_be_regenerated(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    client.post("/manage/albums/main/edit", data={**settings(visibility="unlisted"), "csrf_token": token(client)})
    album = fresh(Album, world.album.id)
    old = album.share_token
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    assert f"/albums/main?token={old}" in page and "only people with this link" in page
    response = client.post("/manage/albums/main/share-link", data={"csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/albums/main/edit#share")
    album = fresh(Album, world.album.id)
    assert album.share_token and album.share_token != old
    assert can_view_album(album, Viewer.of(None, album.share_token)) and not can_view_album(album, Viewer.of(None, old))
    assert audit_actions()[-1] == "album.share_token"
    page = client.get("/manage/albums/main/edit").get_data(as_text=True)
    assert album.share_token in page and old not in page


def test_manual_order_by_drag_and_drop_json(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    current = display_order(db.session, world.album)
    assert db.session.get(Album, world.album.id).sort_mode == SortMode.capture_time
    wanted = list(reversed(current[:3]))
    response = client.post(
        "/manage/albums/main/order",
        data={"order": ",".join(map(str, wanted)), "start": "0"},
        headers={"X-CSRFToken": token(client), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["moved"] >= 2
    album = fresh(Album, world.album.id)
    assert album.sort_mode == SortMode.manual  # saving an order switches to manual order
    assert display_order(db.session, album) == wanted + current[3:]
    assert audit_actions()[-1] == "album.reorder"
    # a page further down: the block goes to its place, the rest keeps its order
    response = client.post(
        "/manage/albums/main/order",
        data={"order": f"{current[5]},{current[4]}", "start": "4"},
        headers={"X-CSRFToken": token(client), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert display_order(db.session, fresh(Album, world.album.id)) == [*wanted, current[3], current[5], current[4]]
    # not a photo of this album: 422 JSON, nothing changes
    stranger = add_photo(world.far)
    response = client.post(
        "/manage/albums/main/order",
        data={"order": f"{stranger.id}", "start": "0"},
        headers={"X-CSRFToken": token(client), "Accept": "application/json"},
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "order"


def test_manual_order_with_number_inputs(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    current = display_order(db.session, world.album)
    page = client.get("/manage/albums/main/order").get_data(as_text=True)
    assert f'name="position-{current[0]}" value="1"' in page and "switches it to manual order" in page
    data = {f"position-{pid}": str(n) for n, pid in enumerate(current, start=1)}
    data[f"position-{current[5]}"] = "1"  # the last photo first
    response = client.post("/manage/albums/main/order", data={**data, "csrf_token": token(client)})
    assert response.status_code == 302
    assert display_order(db.session, fresh(Album, world.album.id)) == [current[5], *current[:5]]
    positions = db.session.scalars(sa.select(Photo.position).where(Photo.album_id == world.album.id)).all()
    assert sorted(positions) == list(range(6))
    for bad in ("0", "7", "x"):
        response = client.post(
            "/manage/albums/main/order", data={f"position-{current[0]}": bad, "csrf_token": token(client)}
        )
        assert response.status_code == 422, bad
        assert 'role="alert"' in response.get_data(as_text=True)


def test_album_pages_are_editors_only(app: Flask, world: World) -> None:
    client = world.client(app, "photographer")
    for path in ("/manage/albums/main/edit", "/manage/albums/main/order", "/manage/events/ecc/albums/new"):
        assert client.get(path).status_code == 403, path
    csrf = token(client)
    assert (
        client.post("/manage/albums/main/edit", data={**settings(title="Hacked"), "csrf_token": csrf}).status_code
        == 403
    )
    assert client.post("/manage/albums/main/share-link", data={"csrf_token": csrf}).status_code == 403
    album = fresh(Album, world.album.id)
    assert album.title == "Main album"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Album)) == 3


# --- the share link -------------------------------------------------------------------------------
# An unlisted album's share token opens the whole album (pages, ZIP, API, embeds), so only roles
# with the editor permission (``edit_content``) may be handed it: photographers who upload to the
# album get no link carrying it, on any page or JSON answer they can reach.


PHOTOGRAPHER_PAGES = (
    "/manage/",
    "/manage/albums/main/photos",
    "/manage/albums/main/upload",
)


@pytest.fixture
def unlisted(app: Flask, world: World) -> str:
    editor = world.client(app, "editor")
    settings = {
        "title": "Main album",
        "description": "",
        "cover_photo_id": "",
        "visibility": "unlisted",
        "sort_mode": "capture_time",
        "original_downloads": "off",
        "csrf_token": token(editor),
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
