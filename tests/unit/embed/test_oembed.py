"""The oEmbed provider (gallery/embed/oembed.py), consumed by a real oEmbed client (micawber) over HTTP from a real
server thread, and found by discovery from the pages' link tag."""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

micawber = pytest.importorskip("micawber")
from micawber.exceptions import ProviderHTTPException  # noqa: E402
from micawber.providers import Provider, ProviderRegistry  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from gallery.embed.oembed import OEmbedError, OEmbedRequest, iframe_html, parse_request  # noqa: E402
from gallery.extensions import db  # noqa: E402
from gallery.models import Photo  # noqa: E402
from tests.web.helpers import add_photos, make_album, make_event  # noqa: E402

XSS = '<script>alert("x")</script>'


@pytest.fixture
def served(app: Flask) -> Iterator[dict[str, Any]]:
    event = make_event(db.session, "oembed-event")
    public = make_album(db.session, event, "oembed-public", title=f"Public {XSS}")
    unlisted = make_album(db.session, event, "oembed-unlisted", visibility="unlisted", title="Unlisted album")
    private = make_album(db.session, event, "oembed-private", visibility="private")
    ids = {
        "public": add_photos(db.session, public, 3),
        "unlisted": add_photos(db.session, unlisted, 2),
        "private": add_photos(db.session, private, 1),
    }
    photo = db.session.get(Photo, ids["public"][0])
    photo.credit = f"Ann {XSS}"
    photo.title = "Opening keynote"
    db.session.commit()
    token = unlisted.share_token
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield {"base": base, "ids": ids, "token": token}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.session.remove()


def _registry(base: str) -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register(re.escape(base) + r"/albums/\S+", Provider(f"{base}/oembed", timeout=10))
    return registry


def _jpegs(photo_id: int) -> list[tuple[int, int]]:
    photo = db.session.get(Photo, photo_id)
    return sorted((d.width, d.height) for d in photo.derivatives if d.format == "jpeg")


def test_album_is_a_rich_iframe_embed(served: dict[str, Any]) -> None:
    base = served["base"]
    registry = _registry(base)
    data = registry.request(f"{base}/albums/oembed-public", maxwidth=600, maxheight=400)
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["provider_name"] == "Gallery" and data["provider_url"] == f"{base}/"
    assert data["title"] == f"Public {XSS}"  # JSON carries text; consumers escape it
    assert data["width"] == 600 and data["height"] == 400
    assert isinstance(data["cache_age"], int) and data["cache_age"] > 0
    assert data["author_name"].startswith("Ann ")
    markup = data["html"]
    iframe = re.fullmatch(r'(<iframe [^>]*></iframe>)(<script src="[^"]+" async></script>)?', markup)
    assert iframe, markup
    assert f'src="{base}/embed/albums/oembed-public"' in markup
    assert 'width="600" height="400"' in markup and 'loading="lazy"' in markup and 'frameborder="0"' in markup
    assert "style=" not in markup and "<script>" not in markup
    assert 'title="Public &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in markup
    assert data["thumbnail_url"].startswith(f"{base}/media/derivatives/")
    assert data["thumbnail_width"] <= 600 and data["thumbnail_height"] <= 400
    # The iframe's page is really there, and framable.
    with urllib.request.urlopen(f"{base}/embed/albums/oembed-public") as response:
        assert response.status == 200
        assert "X-Frame-Options" not in response.headers
    # Without limits: the default size.
    data = registry.request(f"{base}/albums/oembed-public")
    assert data["width"] == 800


def test_photo_is_the_largest_fitting_jpeg(served: dict[str, Any]) -> None:
    base = served["base"]
    photo_id = served["ids"]["public"][0]
    renditions = _jpegs(photo_id)
    data = _registry(base).request(f"{base}/albums/oembed-public/photos/{photo_id}", maxwidth=1100, maxheight=1100)
    assert data["type"] == "photo" and data["version"] == "1.0"
    assert data["title"] == "Opening keynote" and data["author_name"] == f"Ann {XSS}"
    fitting = [r for r in renditions if r[0] <= 1100 and r[1] <= 1100]
    assert fitting and (data["width"], data["height"]) == fitting[-1]
    assert (data["width"], data["height"]) != renditions[-1]  # the 2048 px one does not fit
    photo = db.session.get(Photo, photo_id)
    chosen = next(d for d in photo.derivatives if d.format == "jpeg" and (d.width, d.height) == fitting[-1])
    assert data["url"] == f"{base}/media/" + chosen.key
    # No limits: the largest.
    data = _registry(base).request(f"{base}/albums/oembed-public/photos/{photo_id}", maxwidth=5000, maxheight=5000)
    assert (data["width"], data["height"]) == renditions[-1]


def test_unlisted_needs_its_token(served: dict[str, Any]) -> None:
    base, token = served["base"], served["token"]
    registry = _registry(base)
    data = registry.request(f"{base}/albums/oembed-unlisted?token={token}")
    assert data["type"] == "rich" and f"/embed/albums/oembed-unlisted?token={token}" in data["html"]
    photo_id = served["ids"]["unlisted"][0]
    data = registry.request(f"{base}/albums/oembed-unlisted/photos/{photo_id}?token={token}", maxwidth=500)
    # Its media URLs are signed, and oEmbed JSON carries no signature: an iframe, without a thumbnail.
    assert data["type"] == "rich" and data["width"] <= 500
    assert f"/embed/photos/{photo_id}?token={token}" in data["html"]
    assert "sig=" not in json.dumps(data) and "thumbnail_url" not in data
    with pytest.raises(ProviderHTTPException) as caught:
        registry.request(f"{base}/albums/oembed-unlisted")
    assert caught.value.status == 401


def _find_discovery(page_url: str) -> str:
    with urllib.request.urlopen(page_url) as response:
        body = response.read().decode()
    match = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)" title="([^"]*)">', body)
    assert match, "no oEmbed discovery tag"
    return html.unescape(match.group(1))


def test_discovery_from_the_link_tag(served: dict[str, Any]) -> None:
    base, token = served["base"], served["token"]
    photo_id = served["ids"]["public"][1]
    for page, kind in (
        (f"{base}/albums/oembed-public", "rich"),
        (f"{base}/albums/oembed-public/photos/{photo_id}", "photo"),
        (f"{base}/albums/oembed-unlisted?token={token}", "rich"),
    ):
        href = _find_discovery(page)
        assert href.startswith(f"{base}/oembed?")
        with urllib.request.urlopen(href) as response:
            assert response.headers["Content-Type"] == "application/json"
            data = json.loads(response.read())
        assert data["type"] == kind and data["version"] == "1.0"


def _status(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Type"] == "application/json"
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "{base}/albums/oembed-public", "format": "xml"}, 501),
        ({"url": "{base}/albums/no-such-album"}, 404),
        ({"url": "https://elsewhere.example.org/albums/oembed-public"}, 404),
        ({"url": "{base}/events/oembed-event"}, 404),
        ({"url": "{base}/albums/oembed-public/photos/999999"}, 404),
        ({"url": "ftp://127.0.0.1/albums/oembed-public"}, 404),
        ({"url": "{base}/albums/oembed-private"}, 401),
        ({"url": "{base}/albums/oembed-private/photos/{private}"}, 401),
        ({"url": "{base}/albums/oembed-unlisted?token=wrong"}, 401),
        ({"url": "{base}/albums/oembed-public", "maxwidth": "abc"}, 400),
        ({"url": "{base}/albums/oembed-public", "maxwidth": "-5"}, 400),
        ({"url": "{base}/albums/oembed-public", "maxheight": "0"}, 400),
        ({"url": "{base}/albums/oembed-public", "maxheight": "1e3"}, 400),
        ({}, 400),
    ],
)
def test_error_statuses(served: dict[str, Any], params: dict[str, str], status: int) -> None:
    values = {k: v.format(base=served["base"], private=served["ids"]["private"][0]) for k, v in params.items()}
    values.setdefault("format", "json")
    code, body = _status(f"{served['base']}/oembed?{urlencode(values)}")
    assert code == status
    assert set(body["error"]) >= {"code", "message"}
    # micawber reports the same status as an error
    if "url" in values and values.get("format") == "json" and status != 400:
        extra = {k: v for k, v in values.items() if k != "url"}
        with pytest.raises(ProviderHTTPException) as caught:
            Provider(f"{served['base']}/oembed", timeout=10).request(values["url"], **extra)
        assert caught.value.status == status


# --- the request and the embed code, without a server ------------------------------------------------


def test_parse_request_reads_the_parameters() -> None:
    url = "http://localhost/albums/a"
    assert parse_request({"url": url}) == OEmbedRequest(url, "json", None, None)
    assert parse_request({"url": url, "format": "", "maxwidth": "640", "maxheight": ""}) == OEmbedRequest(
        url, "json", 640, None
    )


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        ({"url": "http://localhost/albums/a", "format": "xml"}, 501, "only format=json"),
        ({"url": ""}, 400, "url parameter is required"),
        ({}, 400, "url parameter is required"),
        ({"url": "u", "maxwidth": "0"}, 400, "maxwidth must be a whole number of pixels from 1 to 10000"),
        ({"url": "u", "maxheight": "10001"}, 400, "maxheight must be"),
        ({"url": "u", "maxwidth": "-5"}, 400, "maxwidth must be"),
        ({"url": "u", "maxwidth": "1e3"}, 400, "maxwidth must be"),
        ({"url": "u", "maxwidth": "０１２"}, 400, "maxwidth must be"),  # fullwidth digits are not ASCII ones
    ],
)
def test_parse_request_refuses_with_the_spec_status(args: dict[str, str], status: int, fragment: str) -> None:
    with pytest.raises(OEmbedError) as info:
        parse_request(args)
    assert info.value.status == status and fragment in info.value.message


def test_iframe_html_escapes_and_adds_the_resizer_only_when_asked() -> None:
    code = iframe_html(src='/embed/albums/a?t=1&x="y"', width=640, height=480, title=XSS, script_src=None)
    assert code == (
        '<iframe src="/embed/albums/a?t=1&amp;x=&#34;y&#34;" width="640" height="480"'
        ' title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" loading="lazy" frameborder="0"'
        " allowfullscreen></iframe>"
    )
    assert "style=" not in code  # WordPress strips rich embeds with style attributes
    with_script = iframe_html(src="/e", width=1, height=2, title="t", script_src="/static/js/embed-resize.js")
    assert with_script.endswith('<script src="/static/js/embed-resize.js" async></script>')
