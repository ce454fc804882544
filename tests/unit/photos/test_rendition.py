"""Renditions made on request at exactly an oEmbed bound (gallery/photos/rendition.py)."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Derivative, Photo, User
from gallery.photos.rendition import MIN_EDGE, bounded_edge, bounded_rendition
from tests.archive.conftest import add_photo, jpeg, make_album, storage_of
from tests.conftest import make_token


def test_bounded_edge_is_the_largest_long_edge_within_the_bound() -> None:
    assert bounded_edge(1200, 800, 300, 300) == 300  # 300x200
    assert bounded_edge(1200, 800, None, 150) == 225  # 225x150
    assert bounded_edge(800, 1200, 300, None) == 450  # 300x450 (portrait: the long edge is the height)
    assert bounded_edge(1200, 800, 5000, 5000) == 1200  # never enlarged
    assert bounded_edge(1201, 801, 301, 200) == 299  # rounding never makes it larger than asked
    assert bounded_edge(1200, 800, MIN_EDGE - 1, None) is None


def test_a_rendition_is_made_once_at_exactly_the_bound(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    album = make_album("renditions")
    photo_id = add_photo(client, make_token(users["editor"]), album.slug, jpeg(7, (1200, 800)))
    storage = storage_of(app)
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and min(d.width for d in photo.derivatives) > 300

    made = bounded_rendition(db.session, storage, photo, maxwidth=300, maxheight=300, max_pixels=10**8)
    assert made is not None and (made.width, made.height, made.format) == (300, 200, "jpeg")
    with storage.open(made.key) as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (300, 200)
    count = db.session.scalar(select(func.count()).select_from(Derivative).where(Derivative.photo_id == photo_id))

    photo = db.session.get(Photo, photo_id)
    again = bounded_rendition(db.session, storage, photo, maxwidth=300, maxheight=250, max_pixels=10**8)
    assert again is not None and again.key == made.key  # kept, not made again
    assert (
        db.session.scalar(select(func.count()).select_from(Derivative).where(Derivative.photo_id == photo_id)) == count
    )
    assert bounded_rendition(db.session, storage, photo, maxwidth=8, maxheight=None, max_pixels=10**8) is None


def test_oembed_answers_a_photo_smaller_than_every_stored_size(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    album = make_album("oembed-small")
    photo_id = add_photo(client, make_token(users["editor"]), album.slug, jpeg(8, (1200, 800)))
    url = f"http://localhost/albums/{album.slug}/photos/{photo_id}"
    response = client.get("/oembed", query_string={"url": url, "format": "json", "maxwidth": "120"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["type"], body["width"], body["height"]) == ("photo", 120, 80)
    media = client.get(body["url"].replace("http://localhost", ""))
    assert media.status_code == 200 and Image.open(io.BytesIO(media.data)).size == (120, 80)
    assert client.get("/oembed", query_string={"url": url, "maxwidth": "8"}).status_code == 404
