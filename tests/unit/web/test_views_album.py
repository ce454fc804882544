"""The album page's grid (gallery/web/views_album.py): days in the event's zone, ready photos only, tiles with
their image sets, alt texts, lazy loading."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gallery.extensions import db
from gallery.models import Album, Photo
from tests.unit.web.conftest import World, get, outline
from tests.web.helpers import (
    add_photos,
    grid_ids,
    make_album,
    make_event,
)


def day_sections(html: str) -> list[tuple[str, list[int]]]:
    sections = re.split(r'<section class="day"', html)[1:]
    result = []
    for section in sections:
        heading = re.search(r'<h2 class="day-heading"[^>]*>(.*?)</h2>', section, re.S)
        assert heading
        result.append((re.sub(r"<[^>]+>", "", heading.group(1)), grid_ids(section)))
    return result


def test_album_page_groups_by_day_in_the_event_zone(client: FlaskClient, world: World) -> None:
    _, html = get(client, "/albums/public-album", "pl")
    p = world.photos
    sections = day_sections(html)
    assert sections[:2] == [("7 maja 2024", [p["opening"], p["late"]]), ("8 maja 2024", [p["after_midnight"]])]
    assert sections[2][1] == [p["undated"]] and "2024" not in sections[2][0]
    assert '<time datetime="2024-05-08">8 maja 2024</time>' in html
    _, html = get(client, "/albums/public-album", "en")
    assert [heading for heading, _ in day_sections(html)] == ["7 May 2024", "8 May 2024", "Without a capture date"]


def test_album_page_shows_only_ready_photos(client: FlaskClient, world: World) -> None:
    _, html = get(client, "/albums/public-album")
    shown = set(grid_ids(html))
    p = world.photos
    assert shown == {p["opening"], p["late"], p["after_midnight"], p["undated"]}
    assert "4 photos" in html
    for hidden in ("processing", "failed", "deleted"):
        assert get(client, f"/albums/public-album/photos/{p[hidden]}")[0] == 404


def test_album_tiles(client: FlaskClient, world: World) -> None:
    _, html = get(client, "/albums/public-album")
    opening = world.photos["opening"]
    tile = html[html.index(f'id="photo-{opening}"') - 40 :]
    tile = tile[: tile.index("</li>")]
    sha = db.session.get(Photo, opening).sha256
    sha = f"{sha}/{sha[:16]}"  # and the media version (tests/web/helpers.py)
    # the link works without JS and carries the lightbox data
    assert f'href="/albums/public-album/photos/{opening}"' in tile
    assert f'data-pswp-src="/media/derivatives/{sha}/2048.jpg"' in tile
    assert 'data-pswp-width="2048" data-pswp-height="1365"' in tile
    # WebP and JPEG over every derivative width, with sizes, width/height, loading
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', tile)
    assert webp
    assert [w.split()[-1] for w in webp.group(1).split(", ")] == ["400w", "1024w", "2048w"]
    assert all(".webp " in w for w in webp.group(1).split(", "))
    img = re.search(r"<img ([^>]+)>", tile)
    assert img
    attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', img.group(1)))
    assert [w.split()[-1] for w in attrs["srcset"].split(", ")] == ["400w", "1024w", "2048w"]
    assert attrs["src"] == f"/media/derivatives/{sha}/400.jpg"
    assert (attrs["width"], attrs["height"]) == ("400", "266")
    assert attrs["sizes"] == webp.group(2)
    assert attrs["alt"] == "Speaker at the lectern in front of a full hall"
    assert attrs["loading"] == "eager" and attrs["fetchpriority"] == "high"
    # caption (escaped) and credit
    assert "Opening plenary &lt;b&gt;live&lt;/b&gt;" in tile
    assert "Photo: Anna Nowak" in tile
    assert 'type="module" src="/static/js/album.js"' in html
    assert "/static/vendor/photoswipe/photoswipe.css" in html


def test_alt_text_falls_back_to_caption_then_a_description(client: FlaskClient, world: World) -> None:
    db.session.execute(update(Photo).where(Photo.id == world.photos["opening"]).values(alt_text=""))
    db.session.commit()
    _, html = get(client, "/albums/public-album")
    alts = [img.get("alt") for img in outline(html).imgs if "album-cover-image" not in (img.get("class") or "")]
    assert alts[0] == "Opening plenary <b>live</b>"
    assert alts[1] == "Photo 2 of album ECC 2024 photo report"


def test_lazy_loading_below_the_first_rows(client: FlaskClient, app: Flask) -> None:
    event = make_event(db.session, "big-event")
    make_album(db.session, event, "twenty")
    album = db.session.query(Album).filter_by(slug="twenty").one()
    add_photos(db.session, album, 20)
    _, html = get(client, "/albums/twenty")
    imgs = [i for i in outline(html).imgs if "album-cover-image" not in (i.get("class") or "")]  # the header's cover
    assert len(imgs) == 20
    assert [i["loading"] for i in imgs] == ["eager"] * 12 + ["lazy"] * 8
    assert [i.get("fetchpriority") for i in imgs] == ["high"] + [None] * 19  # the first photo only
    assert "20 photos" in html


def test_empty_album(client: FlaskClient, app: Flask) -> None:
    event = make_event(db.session, "empty-event")
    make_album(db.session, event, "empty-album")
    status, html = get(client, "/albums/empty-album")
    assert status == 200 and "There are no photos in this album yet." in html
