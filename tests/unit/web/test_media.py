"""Derivative delivery (gallery/web/media.py): the route answers only for well-formed names of derivatives
some visible photo uses, streams them from any store, and says who may cache them.  (Who gets which album's
media, across every surface: tests/web/test_visibility_media.py and test_unlisted_media.py.)"""

from __future__ import annotations

import io

import pytest
from flask import Flask

from gallery.catalog.media_access import media_signature
from gallery.extensions import db
from gallery.http import context
from gallery.models import Album, Photo, User
from gallery.storage import MemoryStorage, sha256_hex
from gallery.web.media import IMMUTABLE, PRIVATE_IMMUTABLE
from tests.conftest import login, make_token
from tests.web.download_world import World, build_world, stored

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400")


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
        sha, name = key.split("/")[1:3]
        assert response.headers["ETag"] == f'"{sha}{name}"'
        again = client.get(url(key), headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_an_unlisted_or_private_derivative_is_cached_for_one_viewer_only(
    app: Flask, world: World, users: dict[str, User]
) -> None:
    album = db.session.query(Album).filter_by(slug="unl").one()
    key = keys(world.photos["unl"][0])[0]
    signed = app.test_client().get(url(key), query_string={"sig": media_signature(album.share_token or "", key)})
    assert signed.status_code == 200 and signed.headers["Cache-Control"] == PRIVATE_IMMUTABLE
    editor = app.test_client()
    login(editor, users["editor"].email)
    private = editor.get(url(keys(world.photos["priv"][0])[0]))
    assert private.status_code == 200 and private.headers["Cache-Control"] == PRIVATE_IMMUTABLE


@pytest.mark.parametrize(
    "path",
    [
        "/media/derivatives/{sha}/400.gif",
        "/media/derivatives/{sha}/400.JPG",
        "/media/derivatives/{sha}/123456.jpg",
        "/media/derivatives/{sha}/x.jpg",
        "/media/derivatives/{SHA}/400.jpg",  # upper case: not a key
        "/media/derivatives/{short}/400.jpg",
        "/media/derivatives/{sha}/999.jpg",  # well formed, but no such derivative
        "/media/derivatives/{other}/400.jpg",  # no photo uses it
    ],
)
def test_anything_else_is_404(app: Flask, world: World, path: str) -> None:
    sha = keys(world.photos["pub"][0])[0].split("/")[1]
    filled = path.format(sha=sha, SHA=sha.upper(), short=sha[:63], other="0" * 64)
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
    assert response.headers["ETag"].strip('"') == "".join(key.split("/")[1:3])
    assert app.test_client().get(url(keys(world.photos["pub"][0])[1])).status_code == 404  # not in this store
