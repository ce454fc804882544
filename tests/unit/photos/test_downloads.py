"""What a download gives (gallery/photos/downloads.py): safe unique file names, neutral CSV cells, the fallback
to the web size."""

from __future__ import annotations

import csv
import io

import pytest

from gallery.media.location import strip_location
from gallery.models import Derivative, OriginalDownloads, Photo
from gallery.photos.downloads import (
    CAPTIONS_HEADER,
    CaptionRow,
    captions_csv,
    csv_cell,
    dedupe,
    plan_download,
    safe_filename,
)
from tests.web.download_world import (
    located_jpeg,
)


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("IMG_0001.JPG", "image/jpeg", "IMG_0001.JPG"),
        ("photo.heic", "image/jpeg", "photo.jpg"),
        ("photo.jpg", "image/png", "photo.png"),
        ("report.v2", "image/jpeg", "report.v2.jpg"),
        ("../../etc/passwd", "image/jpeg", "passwd.jpg"),
        ("C:\\Users\\anna\\IMG 1.jpg", "image/jpeg", "IMG 1.jpg"),
        ("a\x00b\x1fc\u202egpj.exe", "image/jpeg", "abcgpj.exe.jpg"),
        ('what?<>:"|*.jpg', "image/jpeg", "what_______.jpg"),
        ("  .hidden.jpg  ", "image/jpeg", "hidden.jpg"),
        ("", "image/jpeg", "photo-7.jpg"),
        ("...", "image/tiff", "photo-7.tif"),
        ("=1+2.jpg", "image/jpeg", "_1+2.jpg"),
        ("-rf.jpg", "image/jpeg", "_rf.jpg"),
        ("nul.txt.jpg", "image/jpeg", "_nul.txt.jpg"),
        ("e\u0301te\u0301.jpg", "image/jpeg", "\u00e9t\u00e9.jpg"),  # NFC
        ("tab\there.jpg", "image/jpeg", "tabhere.jpg"),
        ("x" * 300 + ".jpg", "image/jpeg", "x" * 150 + ".jpg"),
        ("ż" * 100 + ".jpg", "image/jpeg", "ż" * 75 + ".jpg"),
    ],
)
def test_safe_filename(name: str, content_type: str, expected: str) -> None:
    assert safe_filename(name, content_type=content_type, fallback_stem="photo-7") == expected


def test_dedupe_is_case_insensitive_and_keeps_reserved_names_free() -> None:
    assert dedupe(["a.jpg", "A.jpg", "a (2).jpg", "a.jpg", "captions.csv"], reserved=["captions.csv"]) == [
        "a.jpg",
        "A (2).jpg",
        "a (2) (2).jpg",
        "a (3).jpg",
        "captions (2).csv",
    ]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_csv_cells_that_look_like_formulas_are_neutralised(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("Opening " + value) == "Opening " + value


def test_an_original_that_cannot_be_stripped_falls_back_to_the_web_size() -> None:
    from gallery.photos.downloads import DownloadItem, open_item
    from gallery.storage import MemoryStorage, sha256_hex

    storage = MemoryStorage()
    broken, web = b"\xff\xd8\xff\xd9 not really a photo", located_jpeg(95)
    for key, data in (("originals/broken", broken), ("derivatives/web.jpg", web)):
        storage.put(key, io.BytesIO(data), sha256=sha256_hex(data), content_type="image/jpeg")
    fallback = DownloadItem(7, "web", "derivatives/web.jpg", "image/jpeg", len(web), "x.jpg", "e-web")
    item = DownloadItem(7, "stripped", "originals/broken", "image/jpeg", None, "x.jpg", "e", fallback=fallback)
    sent, chunks = open_item(storage, item)
    assert sent is fallback
    assert b"".join(chunks) == web
    good = DownloadItem(7, "stripped", "derivatives/web.jpg", "image/jpeg", None, "x.jpg", "e", fallback=fallback)
    sent, chunks = open_item(storage, good)
    assert sent is good and b"".join(chunks) == strip_location(web)


# --- what a download gives --------------------------------------------------------------------------


def _photo(content_type: str = "image/jpeg", *, derivatives: tuple[tuple[int, int, str], ...] = ()) -> Photo:
    photo = Photo(
        id=7,
        sha256="ab" * 32,
        original_key="originals/ab",
        original_filename="IMG 1.HEIC",
        content_type=content_type,
        size=5000,
        media_version="0123456789abcdef",
    )
    photo.derivatives = [
        Derivative(width=w, height=h, format=fmt, key=f"derivatives/ab/{w}.{fmt}", size=w) for w, h, fmt in derivatives
    ]
    return photo


SIZES = ((400, 300, "jpeg"), (2048, 1536, "jpeg"), (2048, 1536, "webp"), (1024, 768, "jpeg"))


def test_off_gives_the_largest_jpeg_web_size() -> None:
    item = plan_download(_photo(derivatives=SIZES), OriginalDownloads.off)
    assert item is not None
    assert (item.kind, item.key, item.content_type, item.size) == (
        "web",
        "derivatives/ab/2048.jpeg",
        "image/jpeg",
        2048,
    )
    assert (item.filename, item.etag, item.fallback) == ("IMG 1.jpg", "ab" * 32 + "-0123456789abcdef-2048", None)
    assert plan_download(_photo(), OriginalDownloads.off) is None  # no derivative yet: nothing to give


def test_exact_gives_the_stored_original_as_it_is() -> None:
    item = plan_download(_photo("image/heic", derivatives=SIZES), OriginalDownloads.exact)
    assert item is not None
    assert (item.kind, item.key, item.content_type, item.size) == ("original", "originals/ab", "image/heic", 5000)
    assert (item.filename, item.etag) == ("IMG 1.HEIC", "ab" * 32)  # the extension fits: kept as it is


def test_without_location_strips_jpegs_and_gives_other_formats_the_web_size() -> None:
    item = plan_download(_photo(derivatives=SIZES), OriginalDownloads.without_location)
    assert item is not None
    assert (item.kind, item.key, item.size, item.etag) == ("stripped", "originals/ab", None, "ab" * 32 + "-noloc")
    assert item.fallback is not None and item.fallback.kind == "web"
    heic = plan_download(_photo("image/heic", derivatives=SIZES), OriginalDownloads.without_location)
    assert heic is not None and heic.kind == "web" and heic.content_type == "image/jpeg"


def test_captions_csv_is_excel_friendly_and_neutralises_formulas() -> None:
    data = captions_csv(
        [
            CaptionRow(
                "a.jpg",
                'Opening, "live"',
                '=HYPERLINK("x")',
                "2024-05-07T09:31:55+02:00",
                "7 May 2024, 09:31 (UTC+02:00)",
            ),
            CaptionRow("b.jpg", "Zażółć\x00", "", ""),
        ]
    )
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[0] == ",".join(CAPTIONS_HEADER)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == [
        "a.jpg",
        'Opening, "live"',
        '\'=HYPERLINK("x")',
        "2024-05-07T09:31:55+02:00",
        "7 May 2024, 09:31 (UTC+02:00)",
    ]
    assert rows[2] == ["b.jpg", "Zażółć", "", "", ""]
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")


def test_captions_times_for_people_in_their_language() -> None:
    """captions.csv keeps the machine's ISO time and adds the one format for a time with its zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from gallery.models import Photo, TakenAtSource
    from gallery.photos.downloads import _taken_at

    photo = Photo(
        taken_at=datetime(2024, 5, 7, 7, 31, 55, tzinfo=UTC),
        taken_at_offset_minutes=120,
        taken_at_source=TakenAtSource.exif_original,
    )
    zone = ZoneInfo("Europe/Brussels")
    assert _taken_at(photo, zone, "pl") == ("2024-05-07T09:31:55+02:00", "7 maja 2024, 09:31 (UTC+02:00)")
    assert _taken_at(photo, zone, "en")[1] == "7 May 2024, 09:31 (UTC+02:00)"
    assert _taken_at(Photo(taken_at=None), zone, "pl") == ("", "")


def test_a_blurred_photo_gives_its_web_size_whatever_the_album_says() -> None:
    photo = _photo(derivatives=SIZES)
    photo.blur_boxes = [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}]
    for mode in OriginalDownloads:
        item = plan_download(photo, mode)
        assert item is not None and item.kind == "web" and item.key == "derivatives/ab/2048.jpeg"
