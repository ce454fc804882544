"""What the feed and the sitemap list (gallery/reports/feeds.py): only what every visitor may see, newest first,
in bounded parts; the excerpt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.reports import feeds
from tests.web.download_world import insert_photos, make_album, make_event, make_report

NOW = datetime.now(UTC)


def test_paths() -> None:
    assert feeds.report_path("ecc-2024", "day-one") == "/events/ecc-2024/reports/day-one"
    assert feeds.album_path("pub") == "/albums/pub"
    assert feeds.photo_path("pub", 7) == "/albums/pub/photos/7"


# --- feed entries ------------------------------------------------------------------------------


def _world() -> dict[str, object]:
    event = make_event()
    pub = make_album(event, "pub", title="Day 1")
    pub_photos = insert_photos(pub, 2)
    insert_photos(pub, 1, status="processing")
    insert_photos(pub, 1, deleted=True)
    only_processing = make_album(event, "not-yet")
    insert_photos(only_processing, 1, status="processing")
    insert_photos(make_album(event, "unl", visibility="unlisted"), 2)
    insert_photos(make_album(event, "priv", visibility="private"), 2)
    report = make_report(
        event, "day-one", title="Day one", body="**Brussels.** [album pub] Met.", published_at=NOW - timedelta(hours=1)
    )
    make_report(event, "draft", title="Draft")
    make_report(event, "tomorrow", title="Tomorrow", published_at=NOW + timedelta(days=1))
    return {"event": event, "pub": pub, "pub_photos": pub_photos, "report": report}


def test_feed_entries_are_published_reports_and_public_albums_with_shown_photos(app: Flask) -> None:
    world = _world()
    entries = feeds.feed_entries(db.session, now=NOW)
    assert [(e.kind, e.path) for e in entries] == [
        ("album", "/albums/pub"),
        ("report", "/events/ecc-2024/reports/day-one"),
    ]
    album, report = entries
    assert album.photo_count == 2  # ready and not deleted
    assert album.title == "Day 1" and album.event_title == "European Cluster Conference 2024"
    assert report.summary == "Brussels. Met." and report.photo_count is None
    assert report.key == world["report"].id  # type: ignore[attr-defined]
    # a scheduled report joins the feed when its time has come
    later = feeds.feed_entries(db.session, now=NOW + timedelta(days=2))
    assert [e.path for e in later if e.kind == "report"] == [
        "/events/ecc-2024/reports/tomorrow",
        "/events/ecc-2024/reports/day-one",
    ]


def test_feed_entries_are_newest_first_and_limited(app: Flask) -> None:
    event = make_event()
    for i in range(4):
        album = make_album(event, f"album-{i}")
        album.created_at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i)
        insert_photos(album, 1)
    make_report(event, "middle", published_at=datetime(2024, 1, 2, 12, tzinfo=UTC))
    db.session.commit()
    paths = [e.path for e in feeds.feed_entries(db.session, limit=3, now=NOW)]
    assert paths == ["/albums/album-3", "/albums/album-2", "/events/ecc-2024/reports/middle"]


# --- sitemap ---------------------------------------------------------------------------------------


def test_a_small_sitemap_is_one_urlset_of_what_anyone_may_see(app: Flask) -> None:
    world = _world()
    result = feeds.sitemap(db.session, now=NOW)
    assert result.kind == "urlset"
    paths = [url.path for url in result.urls]
    assert paths == [
        "/",
        "/events",  # the events archive
        "/events/ecc-2024",
        "/events/ecc-2024/reports/day-one",
        "/albums/pub",
        "/albums/not-yet",  # listed: a public album, even before its photos are ready
        *(f"/albums/pub/photos/{pid}" for pid in world["pub_photos"]),  # type: ignore[attr-defined]
    ]
    assert result.urls[0].lastmod is None and result.urls[1].lastmod is None
    assert all(url.lastmod for url in result.urls[2:])


def test_a_big_sitemap_is_an_index_of_bounded_parts(app: Flask) -> None:
    event = make_event()
    ids = insert_photos(make_album(event, "big"), 7)
    insert_photos(make_album(event, "secret", visibility="private"), 2)
    index = feeds.sitemap(db.session, max_urls=3, now=NOW)
    assert index.kind == "index"
    assert [url.path for url in index.urls] == [
        "/sitemap.xml?part=pages",
        f"/sitemap.xml?part=photos&from={ids[0]}",
        f"/sitemap.xml?part=photos&from={ids[3]}",
        f"/sitemap.xml?part=photos&from={ids[6]}",
    ]
    pages = feeds.sitemap(db.session, part="pages", max_urls=3, now=NOW)
    assert [url.path for url in pages.urls] == ["/", "/events", "/events/ecc-2024"]  # cut at max_urls
    second = feeds.sitemap(db.session, part="photos", start=str(ids[3]), max_urls=3, now=NOW)
    assert [url.path for url in second.urls] == [f"/albums/big/photos/{i}" for i in ids[3:6]]


@pytest.mark.parametrize(
    ("part", "start"), [("photos", None), ("photos", "abc"), ("photos", "-1"), ("photos", "1" * 13), ("other", "1")]
)
def test_unknown_sitemap_parts_are_not_found(app: Flask, part: str, start: str | None) -> None:
    with pytest.raises(NotFoundError):
        feeds.sitemap(db.session, part=part, start=start)
