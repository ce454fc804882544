"""GALLERY_BASE_URL (gallery/http/urls.py): absolute URLs (sitemap, feed, oEmbed, og:url, canonical links) come from
it and never from the Host header, which is checked against it (Flask's TRUSTED_HOSTS)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from tests.web.helpers import add_photos, make_album, make_event

BASE = "https://photos.example.org"
SITE = "http://photos.example.org"  # what the app sees behind a proxy that terminates TLS
EVIL = "http://evil.example"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def album_slug(app: Flask) -> str:
    event = make_event(db.session, "ecc-2024")
    album = make_album(db.session, event, "pub", title="Opening")
    add_photos(db.session, album, 2)
    return album.slug


def absolute_urls(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>&]+", text))


def meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta property="{prop}" content="([^"]*)"', html)
    assert match, f"no {prop} in the page"
    return match.group(1)


@pytest.mark.app_config(GALLERY_BASE_URL=BASE)
def test_other_hosts_are_refused(app: Flask, client: FlaskClient, album_slug: str) -> None:
    assert app.config["TRUSTED_HOSTS"] == ["photos.example.org"]
    for path in (
        "/",
        "/sitemap.xml",
        "/feed.atom",
        f"/albums/{album_slug}",
        "/login",
        f"/oembed?url={BASE}/albums/{album_slug}",
        "/healthz",
    ):
        assert client.get(path, base_url=EVIL).status_code == 400, path
        assert client.get(path, base_url=SITE).status_code == 200, path
    # the default test host is not the site either
    assert client.get("/").status_code == 400
    # the API answers in its JSON error shape
    response = client.get(f"/api/v1/albums/{album_slug}", base_url=EVIL)
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    # a port on the right host name is fine
    assert client.get("/", base_url="http://photos.example.org:8080").status_code == 200


@pytest.mark.app_config(GALLERY_BASE_URL=BASE)
def test_absolute_urls_come_from_the_base_url(client: FlaskClient, album_slug: str) -> None:
    sitemap = client.get("/sitemap.xml", base_url=SITE)
    locs = [n.text or "" for n in ET.fromstring(sitemap.get_data()).iter(f"{SITEMAP}loc")]
    assert f"{BASE}/albums/{album_slug}" in locs
    assert locs and all(loc.startswith(BASE + "/") for loc in locs), locs

    feed = client.get("/feed.atom", base_url=SITE).get_data(as_text=True)
    assert f'href="{BASE}/feed.atom"' in feed and "tag:photos.example.org," in feed
    assert all(url.startswith(BASE + "/") for url in absolute_urls(feed) if "w3.org" not in url)

    page = client.get(f"/albums/{album_slug}", base_url=SITE).get_data(as_text=True)
    assert meta(page, "og:url") == f"{BASE}/albums/{album_slug}"
    assert meta(page, "og:image").startswith(BASE + "/")
    assert f'<link rel="canonical" href="{BASE}/albums/{album_slug}">' in page
    assert "http://photos.example.org" not in page

    response = client.get("/oembed", query_string={"url": f"{BASE}/albums/{album_slug}"}, base_url=SITE)
    assert response.status_code == 200
    body = response.get_json()
    assert body["provider_url"] == BASE + "/"
    assert f'src="{BASE}/embed/albums/{album_slug}"' in body["html"]
    assert f'src="{BASE}/static/js/embed.js"' in body["html"]
    assert body["thumbnail_url"].startswith(BASE + "/")
    # URLs of other sites are not this gallery's
    for foreign in (f"{EVIL}/albums/{album_slug}", f"https://photos.example.org.evil.example/albums/{album_slug}"):
        assert client.get("/oembed", query_string={"url": foreign}, base_url=SITE).status_code == 404


@pytest.mark.app_config(GALLERY_BASE_URL="https://example.org/gallery/")
def test_a_base_url_with_a_path(client: FlaskClient, album_slug: str) -> None:
    """Mounted under a path, whether or not the proxy passes the prefix on as SCRIPT_NAME."""
    for site in ("http://example.org/gallery/", "http://example.org/"):
        locs = [
            n.text or ""
            for n in ET.fromstring(client.get("/sitemap.xml", base_url=site).get_data()).iter(f"{SITEMAP}loc")
        ]
        assert "https://example.org/gallery/albums/pub" in locs, (site, locs)
        assert all(loc.startswith("https://example.org/gallery/") for loc in locs), locs
        response = client.get("/oembed", query_string={"url": "https://example.org/gallery/albums/pub"}, base_url=site)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert 'src="https://example.org/gallery/embed/albums/pub"' in response.get_json()["html"]
    assert (
        client.get(
            "/oembed", query_string={"url": "https://example.org/albums/pub"}, base_url="http://example.org/"
        ).status_code
        == 404
    )


def test_development_without_a_base_url_uses_the_request_host(client: FlaskClient, album_slug: str) -> None:
    page = client.get(f"/albums/{album_slug}", base_url="http://dev.example:5000").get_data(as_text=True)
    assert meta(page, "og:url") == f"http://dev.example:5000/albums/{album_slug}"
