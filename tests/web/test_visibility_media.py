"""Who gets what: public, unlisted and private albums × anonymous, photographer and editor,
across the album ZIP, photo downloads, derivative URLs served by Gallery, the feed and the sitemap.
GPS never leaks from any of them (all albums here use the default ``off`` downloads)."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.catalog.media_access import media_signature
from gallery.extensions import db
from gallery.models import Photo, User
from tests.conftest import login, make_token
from tests.web.download_world import World, build_world, location_leaks, unzip

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400")

ROLES = ("anonymous", "photographer", "editor")

# (album visibility, token given) -> role -> status of the album's downloads
DOWNLOADS: dict[tuple[str, str], dict[str, int]] = {
    ("public", "none"): {"anonymous": 200, "photographer": 200, "editor": 200},
    ("unlisted", "none"): {"anonymous": 404, "photographer": 404, "editor": 200},
    ("unlisted", "right"): {"anonymous": 200, "photographer": 200, "editor": 200},
    ("unlisted", "wrong"): {"anonymous": 404, "photographer": 404, "editor": 200},
    ("private", "none"): {"anonymous": 404, "photographer": 404, "editor": 200},
    ("private", "right"): {"anonymous": 404, "photographer": 404, "editor": 200},  # tokens do not open private albums
}
# Derivative URLs: a public album's are plain; the others answer expiring signed URLs only --
# bound to the share token for an unlisted album's visitors (``token``), or made for staff
# (``staff``) -- and work for whoever holds them; the session does not count.
# (album visibility, URL) -> role -> status
MEDIA: dict[tuple[str, str], dict[str, int]] = {
    ("public", "plain"): {"anonymous": 200, "photographer": 200, "editor": 200},
    ("unlisted", "plain"): {"anonymous": 404, "photographer": 404, "editor": 404},
    ("unlisted", "token"): {"anonymous": 200, "photographer": 200, "editor": 200},
    ("unlisted", "wrong"): {"anonymous": 404, "photographer": 404, "editor": 404},
    ("unlisted", "staff"): {"anonymous": 200, "photographer": 200, "editor": 200},
    ("private", "plain"): {"anonymous": 404, "photographer": 404, "editor": 404},
    ("private", "token"): {"anonymous": 404, "photographer": 404, "editor": 404},  # links never open private albums
    ("private", "staff"): {"anonymous": 200, "photographer": 200, "editor": 200},
}


def client_for(app: Flask, role: str, users: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        login(client, users[role].email)
    return client


def derivative_urls(app: Flask, photo_id: int, kind: str, token: str | None) -> list[str]:
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.derivatives
    expires = int(time.time()) + 60
    secret = app.config["SECRET_KEY"]
    urls = []
    for d in photo.derivatives:
        query = ""
        if kind != "plain":
            bound = None if kind == "staff" else token if kind == "token" else "not-the-token"
            query = f"?exp={expires}&sig={media_signature(secret, d.key, expires, bound)}"
        urls.append(f"/media/derivatives/{d.key.split('/', 1)[1]}{query}")
    return urls


@pytest.fixture
def world(app: Flask, users: dict[str, User]) -> World:
    return build_world(app.test_client(), make_token(users["editor"]))


@pytest.mark.parametrize("role", ROLES)
def test_downloads_and_media_urls_follow_album_visibility(
    app: Flask, world: World, users: dict[str, User], role: str
) -> None:
    client = client_for(app, role, users)
    for (visibility, token_kind), expected in DOWNLOADS.items():
        album = world.albums[visibility]
        photo_id = world.photos[album.slug][0]
        token = {"none": None, "right": album.share_token, "wrong": "not-the-token"}[token_kind]
        query = f"?token={token}" if token else ""
        want = expected[role]
        where = f"{visibility} album, {token_kind} token, as {role}"

        zipped = client.get(f"/albums/{album.slug}/download.zip{query}")
        assert zipped.status_code == want, where
        single = client.get(f"/albums/{album.slug}/photos/{photo_id}/download{query}")
        if visibility != "public" and want == 200:
            # an unlisted or private album's download: through an expiring signed URL, stored by no one
            assert single.status_code == 302 and single.headers["Cache-Control"] == "private, no-store", where
            signed = single.headers["Location"]
            assert "exp=" in signed and "sig=" in signed and "token=" not in signed, where
            single = client.get(signed)
            assert single.headers["Cache-Control"] == "private, no-store", where
        assert single.status_code == want, where
        if want == 200:
            files = unzip(zipped.get_data())
            assert len(files) == 2  # the photo and captions.csv
            assert location_leaks(single.get_data()) == []
            for name, data in files.items():
                if name != "captions.csv":
                    assert location_leaks(data) == [], name
            robots = zipped.headers.get("X-Robots-Tag")
            assert (robots is None) == (visibility == "public"), where
            assert (single.headers.get("X-Robots-Tag") is None) == (visibility == "public"), where
        else:
            assert "Content-Disposition" not in zipped.headers

    for (visibility, kind), expected in MEDIA.items():
        album = world.albums[visibility]
        photo_id = world.photos[album.slug][0]
        for url in derivative_urls(app, photo_id, kind, album.share_token):
            response = client.get(url)
            assert response.status_code == expected[role], f"{url} ({visibility}, {kind}) as {role}"
            if response.status_code == 200:
                # only a public album's media may be kept by caches
                cache = "public, max-age=31536000, immutable" if visibility == "public" else "private, no-store"
                assert response.headers["Cache-Control"] == cache
                if url.endswith(".jpg"):
                    assert location_leaks(response.get_data()) == []


@pytest.mark.parametrize("role", ROLES)
def test_feed_and_sitemap_never_list_unlisted_or_private_albums(
    app: Flask, world: World, users: dict[str, User], role: str
) -> None:
    client = client_for(app, role, users)
    feed = client.get("/feed.atom").get_data(as_text=True)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    for text in (feed, sitemap):
        assert "/albums/pub" in text
        assert "sig=" not in text and "exp=" not in text  # public artefacts carry no media signature
        for hidden in ("unl", "priv"):
            assert f"/albums/{hidden}" not in text
            assert str(world.albums["unlisted"].share_token) not in text
    for photo_id in world.photos["pub"]:
        assert f"/albums/pub/photos/{photo_id}" in sitemap


def test_deleted_photos_disappear_from_downloads_and_media(app: Flask, world: World, users: dict[str, User]) -> None:
    client = app.test_client()
    photo_id = world.photos["pub"][0]
    urls = derivative_urls(app, photo_id, "plain", None)
    assert client.get(urls[0]).status_code == 200
    token = make_token(users["admin"])
    assert client.delete(f"/api/v1/photos/{photo_id}", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get(f"/albums/pub/photos/{photo_id}/download").status_code == 404
    assert list(unzip(client.get("/albums/pub/download.zip").get_data())) == ["captions.csv"]
    assert client.get(urls[0]).status_code == 404
    assert f"/albums/pub/photos/{photo_id}" not in client.get("/sitemap.xml").get_data(as_text=True)
