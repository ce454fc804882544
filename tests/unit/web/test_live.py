"""The live feed and the hall slideshow (gallery/web/live.py): the feed's JSON (escaped tiles, cursor,
304 when nothing changed), share tokens of unlisted albums, 404 for what a viewer may not see; the
slideshow page and the album page's hooks for new photos."""

from __future__ import annotations

import re

from flask import Flask

from gallery.extensions import db
from tests.archive.conftest import add_photo, jpeg, make_album


def test_the_feed_lists_new_photos_with_escaped_tiles(app: Flask, client, tokens) -> None:
    album = make_album()
    first = add_photo(client, tokens["editor"], album.slug, jpeg(1))
    client.patch(
        f"/api/v1/photos/{first}",
        json={"caption": '<img src=x onerror="alert(1)">'},
        headers={"Authorization": f"Bearer {tokens['editor']}"},
    )
    response = client.get(f"/albums/{album.slug}/live.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    body = response.get_json()
    assert body["cursor"] == first and [p["id"] for p in body["photos"]] == [first]
    photo = body["photos"][0]
    assert photo["caption"] == '<img src=x onerror="alert(1)">' and photo["alt"] == photo["caption"]
    assert "<img src=x" not in photo["html"] and "&lt;img src=x" in photo["html"]
    assert photo["url"] == f"/albums/{album.slug}/photos/{first}" and photo["src"] in photo["srcset"]
    assert 'id="photo-' not in photo["html"]  # the grid may hold the same photo after a reload

    again = client.get(f"/albums/{album.slug}/live.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    second = add_photo(client, tokens["editor"], album.slug, jpeg(2))
    newer = client.get(f"/albums/{album.slug}/live.json?after={first}").get_json()
    assert newer["cursor"] == second and [p["id"] for p in newer["photos"]] == [second]
    assert client.get(f"/albums/{album.slug}/live.json?after={second}").get_json() == {"cursor": second, "photos": []}
    assert client.get(f"/albums/{album.slug}/live.json?after=junk").get_json()["cursor"] == second


def test_unlisted_albums_need_their_token_and_private_ones_are_404(app: Flask, client, tokens) -> None:
    album = make_album()
    add_photo(client, tokens["editor"], album.slug, jpeg(3))
    album.visibility = "unlisted"  # type: ignore[assignment]
    album.share_token = "t" * 32
    db.session.commit()
    assert client.get(f"/albums/{album.slug}/live.json").status_code == 404
    assert client.get(f"/albums/{album.slug}/live").status_code == 404
    body = client.get(f"/albums/{album.slug}/live.json?token={'t' * 32}").get_json()
    assert body["photos"][0]["url"].endswith(f"?token={'t' * 32}")
    assert "sig=" in body["photos"][0]["src"]  # unlisted media: expiring signed URLs, fresh on each poll
    page = client.get(f"/albums/{album.slug}/live?token={'t' * 32}").get_data(as_text=True)
    assert f"live.json?token={'t' * 32}" in page
    album.visibility = "private"  # type: ignore[assignment]
    db.session.commit()
    assert client.get(f"/albums/{album.slug}/live.json?token={'t' * 32}").status_code == 404


def test_the_slideshow_page(app: Flask, client) -> None:
    album = make_album()
    page = client.get(f"/albums/{album.slug}/live")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-interval="8"' in html and "js/live.js" in html and html.count('class="slide"') == 2
    assert f'data-feed="/albums/{album.slug}/live.json"' in html
    assert 'data-interval="3"' in client.get(f"/albums/{album.slug}/live?interval=1").get_data(as_text=True)
    assert 'data-interval="120"' in client.get(f"/albums/{album.slug}/live?interval=9999").get_data(as_text=True)
    assert 'data-interval="8"' in client.get(f"/albums/{album.slug}/live?interval=-5").get_data(as_text=True)
    polish = client.get(f"/albums/{album.slug}/live", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert 'lang="pl"' in polish


def test_the_album_page_has_the_live_strip(app: Flask, client, tokens) -> None:
    album = make_album()
    add_photo(client, tokens["editor"], album.slug, jpeg(4))
    html = client.get(f"/albums/{album.slug}").get_data(as_text=True)
    section = re.search(r'<section class="live-new"[^>]*>', html)
    assert section is not None and "hidden" in section.group(0)
    assert f'data-feed="/albums/{album.slug}/live.json"' in section.group(0)
    assert "js/album-live.js" in html
    assert f'href="/albums/{album.slug}/live"' in html  # the slideshow, one click away
