"""What the visitors' pages share (gallery/http/render.py): conditional page responses, image sets over every
derivative, alt texts, capture times on the event's clock, camera summaries, sharing tags, download links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import flask_babel
import pytest
from flask import Flask

from gallery.catalog.media_access import PUBLIC_MEDIA, MediaRight
from gallery.http import render
from gallery.http.media_urls import DerivativeUrls
from gallery.http.render import Rendition, Sharing
from gallery.models import Event, Photo

SHA = "ab" * 32
V = "0123456789abcdef"  # a media version


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


@pytest.fixture
def polish(app: Flask) -> Iterator[None]:
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


def _derivatives(*sizes: tuple[int, int]) -> list[tuple[int, int, str, str]]:
    rows = []
    for width, height in sizes:
        for fmt, ext in (("webp", "webp"), ("jpeg", "jpg")):
            rows.append((width, height, fmt, f"derivatives/{SHA}/{V}/{width}.{ext}"))
    return rows


# --- image sets ------------------------------------------------------------------------------------


def test_image_set_over_every_width(english: None) -> None:
    found = render.image_set(_derivatives((2048, 1365), (400, 267), (1024, 683)), DerivativeUrls(PUBLIC_MEDIA))
    assert found is not None
    base = f"/media/derivatives/{SHA}/{V}"
    assert found.jpeg_srcset == f"{base}/400.jpg 400w, {base}/1024.jpg 1024w, {base}/2048.jpg 2048w"
    assert found.webp_srcset == f"{base}/400.webp 400w, {base}/1024.webp 1024w, {base}/2048.webp 2048w"
    assert found.src == Rendition(f"{base}/400.jpg", 400, 267)  # the first with an edge of 400 px
    assert found.largest == Rendition(f"{base}/2048.jpg", 2048, 1365)  # the lightbox's
    assert found.share == Rendition(f"{base}/1024.jpg", 1024, 683)  # og:image, at most 1024 px
    assert found.aspect_class == "r15"  # 3:2
    assert found.sizes == "(max-width: 40em) 243px, 412px"


def test_image_set_edges(english: None) -> None:
    urls = DerivativeUrls(PUBLIC_MEDIA)
    assert render.image_set([(400, 267, "webp", f"derivatives/{SHA}/{V}/400.webp")], urls) is None  # no JPEG
    small = render.image_set([(200, 600, "jpeg", f"derivatives/{SHA}/{V}/200.jpg")], urls)
    assert small is not None and small.src.width == 200 and small.share.width == 200
    assert small.aspect_class == "r3" and small.webp_srcset == ""  # tall: the narrowest class
    huge = render.image_set([(4000, 4000, "jpeg", f"derivatives/{SHA}/{V}/4000.jpg")], urls, fallback_edge=5000)
    assert huge is not None and huge.share.width == 4000  # nothing small enough: the smallest


def test_image_sets_carry_each_albums_right(english: None) -> None:
    unlisted = MediaRight(signed=True, share_token="s3cret")
    cards = [
        type("Card", (), {"id": 1, "album_id": 10, "derivatives": _derivatives((400, 300))})(),
        type("Card", (), {"id": 2, "album_id": 20, "derivatives": _derivatives((400, 300))})(),
        type("Card", (), {"id": 3, "album_id": 20, "derivatives": []})(),
    ]
    sets = render.image_sets(cards, {10: PUBLIC_MEDIA, 20: unlisted})
    assert set(sets) == {1, 2}  # no derivative yet: no image set
    assert "?" not in sets[1].src.url
    assert sets[2].src.url.startswith(f"/media/derivatives/{SHA}/{V}/400.jpg?exp=")
    assert "&sig=" in sets[2].src.url and "s3cret" not in sets[2].src.url


# --- text -------------------------------------------------------------------------------------------


def test_photo_alt_prefers_the_alt_text_then_the_caption(english: None) -> None:
    photo = Photo(alt_text="  Speaker at the lectern ", caption="Opening")
    assert render.photo_alt(photo, 3, "Day 1") == "Speaker at the lectern"
    photo.alt_text = "  "
    assert render.photo_alt(photo, 3, "Day 1") == "Opening"
    photo.caption = ""
    assert render.photo_alt(photo, 3, "Day 1") == "Photo 3 of album Day 1"


def test_credit_labels_are_translated(polish: None) -> None:
    label = render.credit_labels()
    assert label("Anna Nowak") == label("Anna Nowak") != "Photo: Anna Nowak"
    assert "Anna Nowak" in label("Anna Nowak")


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (None, "UTC+00:00"),
        (timedelta(hours=2), "UTC+02:00"),
        (timedelta(hours=5, minutes=45), "UTC+05:45"),
        (timedelta(hours=-3, minutes=-30), "UTC-03:30"),
    ],
)
def test_utc_offset_label(offset: timedelta | None, label: str) -> None:
    assert render.utc_offset_label(offset) == label


def _event(starts: date, ends: date) -> Event:
    return Event(slug="ecc", title="ECC", starts_on=starts, ends_on=ends, timezone="Europe/Brussels")


def test_dates_in_the_visitors_language(app: Flask) -> None:
    one_day, two_days = _event(date(2024, 5, 7), date(2024, 5, 7)), _event(date(2024, 5, 7), date(2024, 5, 8))
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        flask_babel.refresh()
        assert render.day_label(date(2024, 5, 7)) == "7 maja 2024"
        assert render.event_dates(one_day) == "7 maja 2024"
        polish_range = render.event_dates(two_days)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        flask_babel.refresh()
        assert render.day_label(date(2024, 5, 7)) == "7 May 2024"
        assert render.event_dates(two_days) == "7–8 May 2024"  # the day pattern, not CLDR's "May 7 – 8, 2024"
    flask_babel.refresh()
    assert polish_range == "7–8 maja 2024"


def test_capture_time_on_the_events_clock_with_the_cameras_offset(english: None) -> None:
    event = _event(date(2024, 5, 7), date(2024, 5, 8))
    taken = datetime(2024, 5, 7, 6, 1, tzinfo=UTC)
    same = render.capture_time(Photo(taken_at=taken, taken_at_offset_minutes=120), event)
    assert same == render.CaptureTime(iso="2024-05-07T08:01:00+02:00", text="7 May 2024, 08:01 (UTC+02:00)")
    other = render.capture_time(Photo(taken_at=taken, taken_at_offset_minutes=345), event)
    assert other is not None and other.text == "7 May 2024, 08:01 (UTC+02:00; camera UTC+05:45)"
    unknown = render.capture_time(Photo(taken_at=taken, taken_at_offset_minutes=None), event)
    assert unknown is not None and unknown.text == "7 May 2024, 08:01 (UTC+02:00)"
    assert render.capture_time(Photo(taken_at=None), event) is None


def test_camera_summary_never_names_the_serial(english: None) -> None:
    photo = Photo(
        camera_make="Canon",
        camera_model="Canon EOS R6",
        camera_serial="SN-1",
        lens=" RF24-70mm ",
        focal_length_mm=50.0,
        aperture=2.8,
        exposure_time="1/250",
        iso=1600,
    )
    assert render.camera_summary(photo) == ["Canon EOS R6", "RF24-70mm", "50 mm", "f/2.8", "1/250 s", "ISO 1600"]
    assert render.camera_summary(Photo(camera_make="NIKON CORPORATION", camera_model="Z 6_2")) == [
        "NIKON CORPORATION Z 6_2"
    ]
    assert render.camera_summary(Photo(camera_make="Apple", camera_model="")) == ["Apple"]
    assert render.camera_summary(Photo(camera_make="", camera_model="")) == []


# --- sharing and links ------------------------------------------------------------------------------


def test_sharing_tags_with_an_image(english: None) -> None:
    image = Rendition(f"/media/derivatives/{SHA}/{V}/1024.jpg", 1024, 683)
    tags = Sharing(
        title="Day 1", description="  Both\n days. ", url="http://localhost/albums/a", image=image, image_alt="Speaker"
    ).tags()
    found = {name: content for _, name, content in tags}
    assert found["og:type"] == "website" and found["og:locale"] == "en_GB"
    assert found["og:description"] == "Both days." == found["twitter:description"]
    assert found["og:image"] == f"http://localhost/media/derivatives/{SHA}/{V}/1024.jpg" == found["twitter:image"]
    assert (found["og:image:width"], found["og:image:height"], found["og:image:alt"]) == ("1024", "683", "Speaker")
    assert found["twitter:card"] == "summary_large_image"
    assert all(attribute == ("name" if name.startswith("twitter:") else "property") for attribute, name, _ in tags)


def test_sharing_tags_without_an_image_and_with_a_long_description(polish: None) -> None:
    tags = Sharing(title="T", description="word " * 100, url="http://localhost/").tags()
    found = {name: content for _, name, content in tags}
    assert found["twitter:card"] == "summary" and "og:image" not in found
    assert found["og:locale"] == "pl_PL"
    assert len(found["og:description"]) <= 300 and found["og:description"].endswith("word…")
    assert "og:description" not in {name for _, name, _ in Sharing(title="T", description=" ", url="/").tags()}


def test_route_exists_and_download_links(english: None) -> None:
    assert render.route_exists("/albums/<x>/download.zip") == "web.album_zip"
    assert render.route_exists("/albums/<album>/nothing-here") is None
    assert render.download_links("a", 7, None) == {
        "zip": "/albums/a/download.zip",
        "original": "/albums/a/photos/7/download",
    }
    assert render.download_links("a", None, "t k") == {"zip": "/albums/a/download.zip?token=t+k"}
    assert render.template_exists("base.html") and not render.template_exists("no/such.html")


def test_page_response_is_revalidated_and_conditional(app: Flask) -> None:
    with app.test_request_context("/"):
        response = render.page_response("<p>hello</p>")
        etag = response.headers["ETag"]
    assert response.status_code == 200 and etag.startswith('W/"')
    assert response.headers["Cache-Control"] == "no-cache"
    assert set(response.vary) >= {"Cookie", "Accept-Language"}
    with app.test_request_context("/", headers={"If-None-Match": etag}):
        assert render.page_response("<p>hello</p>").status_code == 304
        assert render.page_response("<p>changed</p>").status_code == 200
    with app.test_request_context("/", headers={"If-None-Match": etag}):
        missing = render.page_response("<p>hello</p>", 404)
    assert missing.status_code == 404 and "ETag" not in missing.headers
