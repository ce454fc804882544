"""Visitors' pages: content, languages, visibility per role, sanitised reports,
sharing tags, caching, accessibility basics."""

from __future__ import annotations

import itertools
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gallery.extensions import db
from gallery.models import Album, Photo, PhotoStatus, User
from gallery.photos.pages import PAGE_SIZE
from tests.conftest import login
from tests.unit.web.conftest import SERIAL, World, get, outline, page_urls
from tests.web.helpers import (
    NEXT_RE,
    add_photos,
    grid_ids,
    make_album,
    make_event,
    unescape_href,
)

# --- every page, both languages ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_page_renders_in_both_languages(client: FlaskClient, world: World, lang: str) -> None:
    for url in page_urls(world):
        status, html = get(client, url, lang)
        assert status == 200, url
        page = outline(html)
        assert page.lang == lang, url
        assert page.headings.count(1) == 1, url
        # headings never skip a level
        for before, after in itertools.pairwise(page.headings):
            assert after <= before + 1, (url, page.headings)
        assert '<link rel="alternate" type="application/atom+xml" href="/feed.atom"' in html
        for img in page.imgs:
            assert img.get("alt") is not None, (url, img)
    # the language cookie wins over Accept-Language
    client.set_cookie("lang", lang)
    _, html = get(client, "/", "en" if lang == "pl" else "pl")
    assert outline(html).lang == lang


def test_dates_are_localised(client: FlaskClient, world: World) -> None:
    _, pl = get(client, "/albums/public-album", "pl")
    _, en = get(client, "/albums/public-album", "en")
    assert "7 maja 2024" in pl and "8 maja 2024" in pl
    assert "7 May 2024" in en and "8 May 2024" in en
    _, event_pl = get(client, f"/events/{world.event}", "pl")
    assert "7–8 maja 2024" in event_pl
    _, event_en = get(client, f"/events/{world.event}", "en")
    assert "7–8 May 2024" in event_en and "May 7" not in event_en  # one range format, not CLDR's US order


# --- home and event pages ---------------------------------------------------------------------


def test_home_lists_events_newest_first_with_covers(client: FlaskClient, world: World) -> None:
    older = make_event(
        db.session, "older-event", title="Cluster Days 2023", starts_on="2023-03-01", ends_on="2023-03-02"
    )
    older_album = make_album(db.session, older, "older-album")
    older_photo = add_photos(db.session, older_album, 2)[0]
    hidden = make_event(
        db.session, "hidden-event", title="Closed board meeting", starts_on="2025-01-01", ends_on="2025-01-01"
    )
    add_photos(db.session, make_album(db.session, hidden, "board-photos", visibility="private"), 1)
    only_link = make_event(
        db.session, "link-event", title="Link-only event", starts_on="2025-02-01", ends_on="2025-02-01"
    )
    add_photos(db.session, make_album(db.session, only_link, "link-photos", visibility="unlisted"), 1)

    status, html = get(client, "/")
    assert status == 200
    assert html.index("European Cluster Conference 2024") < html.index("Cluster Days 2023")
    assert "Closed board meeting" not in html and "Link-only event" not in html
    # covers: the public album's first photo (no cover chosen), as a <picture>
    from gallery.models import Derivative

    def derivative_prefix(photo_id: int) -> str:
        key = db.session.query(Derivative.key).filter(Derivative.photo_id == photo_id).first()[0]
        return "/media/derivatives/" + "/".join(key.split("/")[1:3]) + "/"

    assert derivative_prefix(world.photos["opening"]) in html
    assert derivative_prefix(older_photo) in html
    assert '<source type="image/webp"' in html


def test_the_events_archive_pages_through_every_event(client: FlaskClient, world: World) -> None:
    from gallery.catalog import listings

    for i in range(listings.ARCHIVE_PAGE + 1):
        past = make_event(db.session, f"past-{i:02d}", title=f"Past event {i:02d}", starts_on=f"2010-01-{i + 1:02d}")
        make_album(db.session, past, f"past-album-{i:02d}")
    _, home = get(client, "/")
    assert 'href="/events"' in home and "All events" in home
    assert "Past event 24" in home and "Past event 00" not in home  # the home page shows the newest only
    status, first = get(client, "/events", "pl")
    assert status == 200 and "Wszystkie wydarzenia" in first and "Starsze wydarzenia" in first
    assert "European Cluster Conference 2024" in first and "Past event 01" not in first
    next_url = unescape_href(re.search(r'<a href="([^"]+)" rel="next"', first).group(1))
    status, second = get(client, next_url)
    assert status == 200 and "Past event 01" in second and "Past event 00" in second
    assert "European Cluster Conference 2024" not in second and 'rel="next"' not in second
    assert '<meta name="robots" content="noindex, follow">' in second and 'href="/events">' in second
    assert get(client, "/events?after=broken")[0] == 400
    # the breadcrumb "Events" leads to the archive
    _, album = get(client, "/albums/public-album")
    assert '<li><a href="/events">Events</a></li>' in album


def test_chosen_cover_wins(client: FlaskClient, world: World) -> None:
    album = db.session.get(Album, world.public.id)
    album.cover_photo_id = world.photos["late"]
    db.session.commit()
    _, html = get(client, "/")
    late_key = db.session.get(Photo, world.photos["late"]).sha256
    opening_key = db.session.get(Photo, world.photos["opening"]).sha256
    assert late_key in html and opening_key not in html
    # a cover that is no longer visible falls back to the first photo
    db.session.execute(update(Photo).where(Photo.id == world.photos["late"]).values(status=PhotoStatus.failed))
    db.session.commit()
    _, html = get(client, "/")
    assert opening_key in html


def test_event_page(client: FlaskClient, world: World, users: dict[str, User]) -> None:
    status, html = get(client, f"/events/{world.event}")
    assert status == 200
    assert "7–8 May 2024" in html and "Brussels, The Square" in html
    assert "700 delegates in Brussels" in html
    assert "/events/ecc-2024/reports/conference-report" in html
    assert "Unfinished" not in html  # drafts are for editors
    assert "/albums/public-album" in html and "4 photos" in html
    assert "unlisted-album" not in html and "private-album" not in html
    assert "Backstage" not in html and "Staff only" not in html
    login(client, users["editor"].email)
    _, html = get(client, f"/events/{world.event}")
    assert "Unfinished" in html and "Draft" in html
    assert "/albums/unlisted-album" in html and "/albums/private-album" in html
    assert "Unlisted" in html and "Private" in html


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("photographer", 404), ("editor", 200), ("admin", 200)])
def test_event_with_nothing_public(client: FlaskClient, users: dict[str, User], role: str | None, status: int) -> None:
    event = make_event(db.session, "board-meeting", title="Board meeting")
    make_album(db.session, event, "board-album", visibility="private")
    make_album(db.session, event, "board-link", visibility="unlisted")
    if role:
        login(client, users[role].email)
    assert get(client, "/events/board-meeting")[0] == status
    assert get(client, "/events/no-such-event")[0] == 404


# --- reports -----------------------------------------------------------------------------------


def test_report_markdown_is_sanitised(client: FlaskClient, world: World) -> None:
    status, html = get(client, f"/events/{world.event}/reports/conference-report")
    assert status == 200
    body = html[html.index('<div class="report-body">') : html.index("</article>")]
    assert "<script" not in body and 'alert("owned")' not in body
    assert "javascript:" not in body.replace("[click me](javascript:alert(1))", "")
    assert not re.search(r'href="\s*javascript', body, re.IGNORECASE)
    assert "onerror" not in body and "onclick" not in body and "onmouseover" not in body
    assert "style=" not in body
    assert "tracker.example" not in body  # images from other sites are dropped
    assert '<a href="https://example.org/more" rel="noopener nofollow">a safe link</a>' in body
    assert "<h2>Opening day</h2>" in body  # headings move down one level
    assert "<strong>Brussels, 7–8 May 2024.</strong>" in body


def strip_ids(html: str) -> list[str]:
    return re.findall(r'<aside class="album-strip" aria-labelledby="strip-([a-z0-9-]+)"', html)


def test_report_shortcode_strips_follow_visibility(client: FlaskClient, world: World, users: dict[str, User]) -> None:
    url = f"/events/{world.event}/reports/conference-report"
    _, html = get(client, url)
    assert strip_ids(html) == ["public-album"]
    assert f"/albums/public-album/photos/{world.photos['opening']}" in html
    assert "See all 4 photos" in html
    assert "which stays text" in html and "mentions [album public-album] inline" in html
    assert "Staff only" not in html and "Backstage" not in html
    login(client, users["editor"].email)
    _, html = get(client, url)
    # editors see private and unlisted albums everywhere (with a badge on cards)
    assert strip_ids(html) == ["public-album", "private-album", "unlisted-album"]


def test_report_links_to_its_photo_report(client: FlaskClient, world: World, users: dict[str, User]) -> None:
    url = f"/events/{world.event}/reports/conference-report"
    _, html = get(client, url)
    section = html[html.index('id="photo-report"') :]
    assert "See the photo report" in section
    assert 'href="/albums/public-album"' in section
    assert "/albums/private-album" not in section
    assert 'href="#photo-report"' in html
    login(client, users["admin"].email)
    _, html = get(client, url)
    assert "/albums/private-album" in html[html.index('id="photo-report"') :]


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("photographer", 404), ("editor", 200), ("admin", 200)])
def test_draft_reports_are_for_editors(
    client: FlaskClient, world: World, users: dict[str, User], role: str | None, status: int
) -> None:
    if role:
        login(client, users[role].email)
    code, html = get(client, f"/events/{world.event}/reports/draft-report")
    assert code == status
    if code == 200:
        assert '<meta name="robots" content="noindex">' in html
        assert "og:title" not in html
    assert get(client, f"/events/{world.event}/reports/no-such-report")[0] == 404
    assert get(client, "/events/other-event/reports/conference-report")[0] == 404


# --- photo page --------------------------------------------------------------------------------


def test_photo_page(client: FlaskClient, world: World) -> None:
    url = f"/albums/public-album/photos/{world.photos['opening']}"
    _, pl = get(client, url, "pl")
    _, en = get(client, url, "en")
    assert '<time datetime="2024-05-07T09:31:55+02:00">7 maja 2024, 09:31 (UTC+02:00)</time>' in pl
    assert '<time datetime="2024-05-07T09:31:55+02:00">7 May 2024, 09:31 (UTC+02:00)</time>' in en
    assert "Canon EOS R6 · RF24-70mm F2.8 L IS USM · 50 mm · f/2.8 · 1/250 s · ISO 1600" in en
    assert "f/2,8" in pl
    assert "Opening plenary &lt;b&gt;live&lt;/b&gt;" in en and "Photo: Anna Nowak" in en
    assert "<picture>" in en and 'fetchpriority="high"' in en
    assert "Photo 1 of 4" in en
    # the way back to the album lands on this photo
    assert f'href="/albums/public-album#photo-{world.photos["opening"]}"' in en


def test_photo_page_tells_the_time_on_the_events_clock_with_the_cameras_offset(
    client: FlaskClient, world: World
) -> None:
    # 22:30 UTC was 18:30 on 7 May on a camera set to New York time, but 00:30 on 8 May in
    # Brussels: the album page files it under 8 May, so the photo page says 8 May as well.
    photo_id = world.photos["after_midnight"]
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(taken_at_offset_minutes=-240))
    db.session.commit()
    _, album_page = get(client, "/albums/public-album", "en")
    assert album_page.index("8 May 2024") < album_page.index(f'id="photo-{photo_id}"')
    _, en = get(client, f"/albums/public-album/photos/{photo_id}", "en")
    _, pl = get(client, f"/albums/public-album/photos/{photo_id}", "pl")
    assert '<time datetime="2024-05-08T00:30:00+02:00">8 May 2024, 00:30 (UTC+02:00; camera UTC-04:00)</time>' in en
    assert '<time datetime="2024-05-08T00:30:00+02:00">8 maja 2024, 00:30 (UTC+02:00; aparat UTC-04:00)</time>' in pl


def test_photo_page_never_shows_location_or_serial(client: FlaskClient, world: World, users: dict[str, User]) -> None:
    login(client, users["admin"].email)
    urls = page_urls(world) + [f"/albums/public-album/photos/{i}" for i in world.photos.values()]
    for url in urls:
        status, html = get(client, url)
        if status != 200:
            continue
        assert SERIAL not in html, url
        for number in ("50.84", "50,84", "4.381", "4,381", "77.5"):
            assert number not in html, (url, number)
        assert "gps" not in html.lower(), url


def test_previous_and_next_follow_the_display_order(client: FlaskClient, world: World) -> None:
    p = world.photos
    order = [p["opening"], p["late"], p["after_midnight"], p["undated"]]
    url: str | None = f"/albums/public-album/photos/{order[0]}"
    visited = []
    while url:
        html = get(client, url)[1]
        visited.append(int(url.rsplit("/", 1)[1]))
        found = re.search(r'<a id="next-photo" rel="next" href="([^"]+)"', html)
        url = unescape_href(found.group(1)) if found else None
    assert visited == order
    html = get(client, f"/albums/public-album/photos/{order[0]}")[1]
    assert 'id="previous-photo"' not in html
    html = get(client, f"/albums/public-album/photos/{order[2]}")[1]
    assert f'<a id="previous-photo" rel="prev" href="/albums/public-album/photos/{order[1]}"' in html


def test_photo_urls_that_do_not_belong(client: FlaskClient, world: World) -> None:
    assert get(client, f"/albums/public-album/photos/{world.private_photo}")[0] == 404
    assert get(client, f"/albums/unlisted-album/photos/{world.photos['opening']}")[0] == 404
    assert get(client, "/albums/public-album/photos/99999999999")[0] == 404
    assert get(client, "/albums/public-album/photos/abc")[0] == 404
    assert get(client, "/albums/no-such-album")[0] == 404


@pytest.mark.app_config(ALBUM_PAGE_SIZE=2)
def test_back_link_opens_the_album_page_with_the_photo(client: FlaskClient, world: World) -> None:
    p = world.photos
    html = get(client, f"/albums/public-album/photos/{p['undated']}")[1]
    back = re.search(r'<a href="(/albums/public-album\?after=[^"#]+)#photo-(\d+)">All photos', html)
    assert back and int(back.group(2)) == p["undated"]
    page = get(client, unescape_href(back.group(1)))[1]
    assert grid_ids(page)[0] == p["undated"]
    assert "Photos 4–4 of 4" in page


# --- visibility × role -------------------------------------------------------------------------

ROLES = [None, "photographer", "editor", "admin"]
EXPECTED = {
    # (visibility, with token) → status for each role in ROLES
    ("public", False): [200, 200, 200, 200],
    ("unlisted", False): [404, 404, 200, 200],
    ("unlisted", True): [200, 200, 200, 200],
    ("private", False): [404, 404, 200, 200],
    ("private", True): [404, 404, 200, 200],  # the share token never opens a private album
}


@pytest.mark.parametrize(("visibility", "with_token"), list(EXPECTED))
@pytest.mark.parametrize("role_index", range(len(ROLES)))
def test_album_and_photo_visibility(
    client: FlaskClient,
    world: World,
    users: dict[str, User],
    visibility: str,
    with_token: bool,
    role_index: int,
) -> None:
    role = ROLES[role_index]
    album = {"public": world.public, "unlisted": world.unlisted, "private": world.private}[visibility]
    album = db.session.get(Album, album.id)
    photo = {
        "public": world.photos["opening"],
        "unlisted": world.unlisted_photo,
        "private": world.private_photo,
    }[visibility]
    if role:
        login(client, users[role].email)
    query = f"?token={album.share_token}" if with_token else ""
    expected = EXPECTED[(visibility, with_token)][role_index]
    status, html = get(client, f"/albums/{album.slug}{query}")
    assert status == expected
    assert get(client, f"/albums/{album.slug}/photos/{photo}{query}")[0] == expected
    if status != 200:
        return
    meta = outline(html).meta
    if visibility == "public":
        assert meta.get("robots") is None
        assert meta["og:url"] == f"http://localhost/albums/{album.slug}"
    else:
        assert meta["robots"] == "noindex"
    if visibility == "private":
        assert "og:title" not in meta and "twitter:card" not in meta
    else:
        assert meta["og:title"] == album.title and meta["twitter:card"] == "summary_large_image"
    if visibility == "unlisted" and with_token:
        # links within the album keep the token
        assert f'href="/albums/{album.slug}/photos/{photo}?token={album.share_token}"' in html
        assert meta["og:url"] == f"http://localhost/albums/{album.slug}?token={album.share_token}"
        photo_html = get(client, f"/albums/{album.slug}/photos/{photo}{query}")[1]
        assert f"/albums/{album.slug}?token={album.share_token}#photo-{photo}" in photo_html
        assert outline(photo_html).meta["robots"] == "noindex"


def test_wrong_share_token(client: FlaskClient, world: World) -> None:
    assert get(client, "/albums/unlisted-album?token=not-the-token")[0] == 404
    assert get(client, "/albums/unlisted-album?token=")[0] == 404
    assert get(client, f"/albums/unlisted-album?token={'x' * 5000}")[0] == 404
    public_token = db.session.get(Album, world.public.id).share_token
    html = get(client, f"/albums/public-album?token={public_token}")[1]
    assert "token=" not in html.split("<main", 1)[1]  # public albums do not spread tokens


def test_private_and_unlisted_albums_are_never_listed(client: FlaskClient, world: World) -> None:
    for url in page_urls(world):
        html = get(client, url)[1]
        for secret in ("private-album", "unlisted-album", "Staff only", "Backstage"):
            assert secret not in html, (url, secret)


# --- sharing -----------------------------------------------------------------------------------


def test_sharing_tags(client: FlaskClient, world: World) -> None:
    opening_sha = db.session.get(Photo, world.photos["opening"]).sha256
    expected_image = f"http://localhost/media/derivatives/{opening_sha}/{opening_sha[:16]}/1024.jpg"
    for url, kind in zip(page_urls(world)[1:5], ("event", "report", "album", "photo"), strict=True):
        meta = outline(get(client, url)[1]).meta
        assert meta["og:image"] == expected_image, url
        assert meta["twitter:card"] == "summary_large_image", url
        assert meta["og:url"].startswith("http://localhost/"), url
        assert meta["og:title"] and meta["twitter:title"] == meta["og:title"], url
        assert meta["og:image:width"] == "1024", url
        if kind == "report":
            assert meta["og:type"] == "article"
            assert meta["og:description"].startswith("Opening day Brussels")
        if kind == "photo":
            assert meta["og:image:alt"] == "Speaker at the lectern in front of a full hall"


def test_public_media_url_points_images_at_the_cdn(tmp_path: object, database_url: str) -> None:
    from pathlib import Path

    from tests.conftest import make_app

    app = make_app(Path(str(tmp_path)), database_url, GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/media")
    with app.app_context():
        db.create_all()
        event = make_event(db.session, "cdn-event")
        album = make_album(db.session, event, "cdn-album")
        photo_id = add_photos(db.session, album, 1)[0]
        sha = db.session.get(Photo, photo_id).sha256
        try:
            html = app.test_client().get("/albums/cdn-album").get_data(as_text=True)
            assert f"https://cdn.example.org/media/derivatives/{sha}/{sha[:16]}/400.jpg 400w" in html
            assert "/media/derivatives/" not in html.replace("https://cdn.example.org/media/derivatives/", "")
        finally:
            db.session.remove()
            if not database_url.startswith("sqlite"):
                from tests.conftest import _empty_tables

                _empty_tables()
            db.engine.dispose()


def test_fast_derivative_urls_equal_the_media_route(app: Flask, world: World) -> None:
    from gallery.catalog.media_access import PUBLIC_MEDIA, MediaRight
    from gallery.http.media_urls import DerivativeUrls, derivative_url
    from gallery.models import Derivative

    with app.test_request_context("/"):
        for right in (PUBLIC_MEDIA, MediaRight(), MediaRight(share_token=world.unlisted.share_token)):
            urls = DerivativeUrls(right)
            for derivative in db.session.query(Derivative).limit(12):
                assert urls(derivative) == derivative_url(derivative, right)


# --- caching -----------------------------------------------------------------------------------


def test_pages_answer_304_to_a_matching_etag(client: FlaskClient, world: World) -> None:
    for url in page_urls(world):
        first = client.get(url)
        assert first.status_code == 200
        etag = first.headers["ETag"]
        assert etag.startswith('W/"')
        assert first.headers["Cache-Control"] == "no-cache"
        assert {"Cookie", "Accept-Language"} <= {v.strip() for v in first.headers["Vary"].split(",")}
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
        assert client.get(url, headers={"If-None-Match": 'W/"something-else"'}).status_code == 200
    # a change to the album changes the page, and so its ETag
    etag = client.get("/albums/public-album").headers["ETag"]
    db.session.execute(update(Photo).where(Photo.id == world.photos["late"]).values(caption="New caption"))
    db.session.commit()
    assert client.get("/albums/public-album", headers={"If-None-Match": etag}).status_code == 200


def test_pagination_links(client: FlaskClient, app: Flask) -> None:
    event = make_event(db.session, "paged-event")
    album = make_album(db.session, event, "paged")
    total = PAGE_SIZE + 5
    add_photos(db.session, album, total)
    html = get(client, "/albums/paged")[1]
    assert len(grid_ids(html)) == PAGE_SIZE
    assert f"Photos 1–{PAGE_SIZE} of {total}" in html
    found = NEXT_RE.search(html)
    assert found and '<link rel="next"' in html
    second = get(client, unescape_href(found.group(1)))[1]
    assert len(grid_ids(second)) == 5 and f"Photos {PAGE_SIZE + 1}–{total} of {total}" in second
    prev = re.search(r'<a href="([^"]+)" rel="prev">', second)
    assert prev and "before=" in prev.group(1)
    first_again = get(client, unescape_href(prev.group(1)))[1]
    assert grid_ids(first_again) == grid_ids(html) and f"Photos 1–{PAGE_SIZE} of {total}" in first_again
    assert 'rel="prev"' not in first_again
    assert not NEXT_RE.search(second)
