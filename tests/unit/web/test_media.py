"""Derivative delivery (gallery/web/media.py): the route answers only for well-formed names of derivatives
some visible photo uses, streams them from any store, and says who may cache them.  (Who gets which album's
media, across every surface: tests/web/test_visibility_media.py and test_unlisted_media.py.)"""

from __future__ import annotations

import io
import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, User
from gallery.storage import MemoryStorage, sha256_hex
from gallery.web.media import IMMUTABLE, PRIVATE_NO_STORE
from tests.conftest import login, make_token
from tests.web.download_world import World, build_world, stored

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400")
MEDIA_RE = re.compile(r"/media/derivatives/[0-9a-f]{64}/[0-9a-f]{16}/[0-9]+\.(?:jpg|webp)[^\"\s,]*")


@pytest.fixture
def world(app: Flask, users: dict[str, User]) -> World:
    return build_world(app.test_client(), make_token(users["editor"]))


def keys(photo_id: int) -> list[str]:
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.derivatives
    return sorted(d.key for d in photo.derivatives)


def url(key: str) -> str:
    return "/media/" + key


def test_a_public_derivative_is_served_as_stored_and_cached_by_anyone(app: Flask, world: World) -> None:
    client = app.test_client()
    for key in keys(world.photos["pub"][0]):
        response = client.get(url(key))
        assert response.status_code == 200, key
        assert response.mimetype == ("image/jpeg" if key.endswith(".jpg") else "image/webp")
        assert response.get_data() == stored(app, key)
        assert response.headers["Cache-Control"] == IMMUTABLE
        sha, version, name = key.split("/")[1:4]
        assert response.headers["ETag"] == f'"{sha}{version}{name}"'
        again = client.get(url(key), headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def page_media(client: FlaskClient, path: str) -> list[str]:
    """The media URLs of a page, as the browser would request them."""
    html = client.get(path).get_data(as_text=True)
    return sorted({u.replace("&amp;", "&") for u in MEDIA_RE.findall(html)})


def test_unlisted_and_private_media_answer_signed_urls_only_and_are_stored_by_no_one(
    app: Flask, world: World, users: dict[str, User]
) -> None:
    editor = app.test_client()
    login(editor, users["editor"].email)
    anonymous = app.test_client()
    for slug in ("unl", "priv"):
        urls = page_media(editor, f"/albums/{slug}")
        assert urls, slug
        for signed in urls:
            assert "?exp=" in signed and "&sig=" in signed, signed
            # A signed URL works for whoever holds it (here: an anonymous visitor), until it expires.
            response = anonymous.get(signed)
            assert response.status_code == 200, signed
            assert response.headers["Cache-Control"] == PRIVATE_NO_STORE
            assert "Expires" not in response.headers
            plain = signed.split("?", 1)[0]
            assert editor.get(plain).status_code == 404  # the session does not count, the signature does
            assert anonymous.get(plain).status_code == 404
        # Anonymous visitors never get a signed URL of a private album (they get no page at all).
        assert anonymous.get(f"/albums/{slug}").status_code == 404


@pytest.mark.app_config(GALLERY_PRIVATE_MEDIA_TTL="1")
def test_signed_media_urls_expire(app: Flask, world: World, users: dict[str, User]) -> None:
    editor = app.test_client()
    login(editor, users["editor"].email)
    urls = page_media(editor, "/albums/priv") + page_media(editor, "/albums/unl")
    started = time.time()
    assert all(app.test_client().get(u).status_code == 200 for u in urls)
    expires = max(int(u.split("exp=", 1)[1].split("&", 1)[0]) for u in urls)
    assert expires - started <= 2
    time.sleep(max(0.0, expires - time.time()) + 1.1)
    assert all(app.test_client().get(u).status_code == 404 for u in urls)


def test_tampered_and_borrowed_signatures_are_404(app: Flask, world: World, users: dict[str, User]) -> None:
    editor = app.test_client()
    login(editor, users["editor"].email)
    for slug in ("unl", "priv"):
        first, second = page_media(editor, f"/albums/{slug}")[:2]
        assert editor.get(first).status_code == 200
        last = first[-1]
        assert editor.get(first[:-1] + ("0" if last != "0" else "1")).status_code == 404
        # The signature of one image does not open another.
        assert editor.get(second.split("?", 1)[0] + "?" + first.split("?", 1)[1]).status_code == 404
        exp = first.split("exp=", 1)[1].split("&", 1)[0]
        assert editor.get(first.replace(f"exp={exp}", f"exp={int(exp) + 3600}")).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/derivatives/{sha}/{v}/400.gif",
        "/media/derivatives/{sha}/{v}/400.JPG",
        "/media/derivatives/{sha}/{v}/123456.jpg",
        "/media/derivatives/{sha}/{v}/x.jpg",
        "/media/derivatives/{SHA}/{v}/400.jpg",  # upper case: not a key
        "/media/derivatives/{short}/{v}/400.jpg",
        "/media/derivatives/{sha}/{V}/400.jpg",  # upper-case version: not a key
        "/media/derivatives/{sha}/{other_v}/400.jpg",  # another (an old) version
        "/media/derivatives/{sha}/400.jpg",  # the layout before media versions
        "/media/derivatives/{sha}/{v}/999.jpg",  # well formed, but no such derivative
        "/media/derivatives/{other}/{v}/400.jpg",  # no photo uses it
    ],
)
def test_anything_else_is_404(app: Flask, world: World, path: str) -> None:
    sha, v = keys(world.photos["pub"][0])[0].split("/")[1:3]
    filled = path.format(sha=sha, SHA=sha.upper(), short=sha[:63], other="0" * 64, v=v, V=v.upper(), other_v="f" * 16)
    assert app.test_client().get(filled).status_code == 404


def test_a_derivative_missing_from_the_store_is_404(app: Flask, world: World) -> None:
    key = keys(world.photos["pub"][0])[0]
    context.storage(app).delete(key)
    assert app.test_client().get(url(key)).status_code == 404


def test_a_store_without_local_files_streams_with_a_length(app: Flask, world: World) -> None:
    memory = MemoryStorage()
    key = keys(world.photos["pub"][0])[0]
    data = stored(app, key)
    memory.put(key, io.BytesIO(data), sha256=sha256_hex(data), content_type="image/jpeg")
    app.extensions[context.STORAGE_KEY] = memory
    response = app.test_client().get(url(key))
    assert response.status_code == 200
    assert response.content_length == len(data) and response.get_data() == data
    assert response.headers["ETag"].strip('"') == "".join(key.split("/")[1:4])
    assert app.test_client().get(url(keys(world.photos["pub"][0])[1])).status_code == 404  # not in this store
