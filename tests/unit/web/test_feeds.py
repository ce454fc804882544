"""/feed.atom and /sitemap.xml (gallery/web/feeds.py): what is listed, how it is escaped, and how big sitemaps split."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, User
from tests.conftest import login
from tests.web.download_world import insert_photos, make_album, make_event, make_report

A = "{http://www.w3.org/2005/Atom}"
S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NOW = datetime.now(UTC)
TAG_RE = re.compile(r"^tag:localhost,\d{4}-\d{2}-\d{2}:(album|report)/\d+$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def build(client: FlaskClient | None = None) -> dict[str, object]:
    event = make_event()
    pub = make_album(event, "pub", title='Day 1 <script>alert("x")</script> & "Co"\x01')
    pub_photos = insert_photos(pub, 2)
    insert_photos(pub, 1, status="processing")
    insert_photos(pub, 1, status="failed")
    insert_photos(pub, 1, deleted=True)
    empty = make_album(event, "empty-pub")
    insert_photos(empty, 1, status="processing")
    unl = make_album(event, "unl", visibility="unlisted")
    insert_photos(unl, 2)
    priv = make_album(event, "priv", visibility="private")
    insert_photos(priv, 2)
    body = "**Brussels, 7 May.** Delegates met.\n\n[album pub]\n\n<img src=x onerror=alert(1)> See *more*."
    report = make_report(
        event, "day-one", title="Day one & <b>more</b>", body=body, published_at=NOW - timedelta(hours=1)
    )
    make_report(event, "draft-report", title="Draft")
    make_report(event, "scheduled", title="Tomorrow", published_at=NOW + timedelta(days=1))
    hidden_event = make_event("hidden-event")
    insert_photos(make_album(hidden_event, "only-private", visibility="private"), 1)
    return {"event": event, "pub": pub, "pub_photos": pub_photos, "unl": unl, "priv": priv, "report": report}


def parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)


def entries(feed: ET.Element) -> list[dict[str, str]]:
    out = []
    for entry in feed.findall(f"{A}entry"):
        out.append(
            {
                "title": entry.findtext(f"{A}title") or "",
                "id": entry.findtext(f"{A}id") or "",
                "link": entry.find(f"{A}link").get("href"),  # type: ignore[union-attr]
                "published": entry.findtext(f"{A}published") or "",
                "updated": entry.findtext(f"{A}updated") or "",
                "summary": entry.findtext(f"{A}summary") or "",
                "kind": entry.find(f"{A}category").get("term"),  # type: ignore[union-attr]
            }
        )
    return out


def test_feed_lists_published_reports_and_public_albums_only(app: Flask, client: FlaskClient) -> None:
    world = build()
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    raw = response.get_data()
    assert b"<script>" not in raw and b"<b>" not in raw and b"<img" not in raw
    feed = parse(raw)
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id", "").startswith("tag:localhost,")
    assert RFC3339.match(feed.findtext(f"{A}updated", ""))
    assert feed.find(f"{A}author/{A}name") is not None
    self_link = feed.find(f"{A}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == "http://localhost/feed.atom"
    items = entries(feed)
    assert [(i["kind"], i["link"]) for i in items] == [  # newest first: the album is younger
        ("album", "http://localhost/albums/pub"),
        ("report", "http://localhost/events/ecc-2024/reports/day-one"),
    ]
    album, report = items
    assert report["title"] == "Day one & <b>more</b>"  # text, escaped in the XML
    assert album["title"] == 'Day 1 <script>alert("x")</script> & "Co"'  # the control character is dropped
    assert report["summary"] == "Brussels, 7 May. Delegates met. See more."
    assert album["summary"].startswith("2 photos · European Cluster Conference 2024")
    for item in items:
        assert TAG_RE.match(item["id"]), item["id"]
        assert RFC3339.match(item["published"]) and RFC3339.match(item["updated"])
    text = raw.decode()
    for hidden in ("/albums/unl", "/albums/priv", "/albums/empty-pub", "draft-report", "scheduled", "only-private"):
        assert hidden not in text, hidden
    assert str(world["unl"].share_token) not in text  # type: ignore[attr-defined]


def test_feed_is_the_same_for_editors_and_supports_conditional_get(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    build()
    anonymous = client.get("/feed.atom")
    etag = anonymous.headers["ETag"]
    assert anonymous.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    editor = app.test_client()
    login(editor, users["editor"].email)
    as_editor = editor.get("/feed.atom")
    assert [e["link"] for e in entries(parse(as_editor.get_data()))] == [
        e["link"] for e in entries(parse(anonymous.get_data()))
    ]


def test_feed_keeps_the_newest_fifty(app: Flask, client: FlaskClient) -> None:
    event = make_event()
    for i in range(55):
        album = make_album(event, f"album-{i:02d}")
        album.created_at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i)
        insert_photos(album, 1)
    db.session.commit()
    items = entries(parse(client.get("/feed.atom").get_data()))
    assert len(items) == 50
    assert [i["link"].rsplit("/", 1)[1] for i in items] == [f"album-{i:02d}" for i in range(54, 4, -1)]
    assert items[0]["published"] == "2024-02-24T00:00:00Z"


# --- sitemap -----------------------------------------------------------------------------------


def locs(body: bytes, kind: str = "url") -> list[str]:
    root = parse(body)
    return [node.findtext(f"{S}loc", "") for node in root.findall(f"{S}{kind}")]


def test_sitemap_lists_public_pages_only(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    world = build()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = parse(response.get_data())
    assert root.tag == f"{S}urlset"
    photos = world["pub_photos"]
    expected = {
        "http://localhost/",
        "http://localhost/events",  # the events archive
        "http://localhost/events/ecc-2024",
        "http://localhost/events/ecc-2024/reports/day-one",
        "http://localhost/albums/pub",
        "http://localhost/albums/empty-pub",
        *(f"http://localhost/albums/pub/photos/{pid}" for pid in photos),  # type: ignore[attr-defined]
    }
    assert set(locs(response.get_data())) == expected
    lastmods = [node.findtext(f"{S}lastmod") for node in root.findall(f"{S}url")]
    assert all(m is None or re.match(r"^\d{4}-\d{2}-\d{2}$", m) for m in lastmods)
    editor = app.test_client()
    login(editor, users["editor"].email)
    assert set(locs(editor.get("/sitemap.xml").get_data())) == expected  # the same for everyone


@pytest.mark.app_config(SITEMAP_MAX_URLS=5)
def test_big_sitemaps_become_an_index_of_bounded_parts(app: Flask, client: FlaskClient) -> None:
    event = make_event()
    album: Album = make_album(event, "big")
    ids = insert_photos(album, 12)
    insert_photos(make_album(event, "secret", visibility="private"), 3)
    index = client.get("/sitemap.xml")
    assert parse(index.get_data()).tag == f"{S}sitemapindex"
    parts = locs(index.get_data(), "sitemap")
    assert parts[0] == "http://localhost/sitemap.xml?part=pages"
    assert len(parts) == 1 + 3  # 12 photos, 5 per file
    found: list[str] = []
    for part in parts:
        urls = locs(client.get(part.removeprefix("http://localhost")).get_data())
        assert 0 < len(urls) <= 5
        found += urls
    assert len(found) == len(set(found))
    assert set(found) == {
        "http://localhost/",
        "http://localhost/events",
        "http://localhost/events/ecc-2024",
        "http://localhost/albums/big",
        *(f"http://localhost/albums/big/photos/{i}" for i in ids),
    }
    for bad in ("?part=photos", "?part=photos&from=abc", "?part=photos&from=-1", "?part=other", "?from=1&part=x"):
        assert client.get("/sitemap.xml" + bad).status_code == 404, bad
