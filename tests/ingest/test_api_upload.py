"""POST /api/v1/albums/<album>/photos: the contract's statuses, dedupe, idempotency,
metadata, GPS privacy and "nothing half-written"."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import exifread
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from gallery.demo import SHOTS, render_demo_photo
from gallery.extensions import db
from gallery.models import Derivative, Photo, PhotoStatus
from tests.conftest import CORPUS
from tests.ingest.conftest import make_album, upload


def jpeg(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (200, 30, 30), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def exif_jpeg(when: str | None, *, offset: str | None = None, colour: tuple[int, int, int] = (1, 2, 3)) -> bytes:
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    if when:
        sub[0x9003] = when
    if offset:
        sub[0x9011] = offset
    out = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def stored_keys(app: Flask) -> set[str]:
    storage = app.extensions["gallery_storage"]
    return {obj.key for obj in storage.list("")}


def tmp_files(app: Flask) -> list[Path]:
    tmp = app.config["GALLERY_SETTINGS"].instance_path / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


def test_upload_creates_photo_with_derivatives(app, client, tokens, album):
    data = render_demo_photo(SHOTS[1], 1)
    response = upload(client, tokens["editor"], album.slug, data, "otwarcie.jpg")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/photos/{body['id']}")
    assert body["filename"] == "otwarcie.jpg"
    assert body["status"] == "ready"
    # Naive EXIF time 2024:05:07 09:31:55 read in Europe/Brussels (CEST, +02:00).
    assert body["taken_at"] == "2024-05-07T07:31:55Z"
    assert body["taken_at_local"] == "2024-05-07T09:31:55+02:00"
    assert body["taken_at_source"] == "exif_original"
    assert body["caption"] == SHOTS[1].caption  # from XMP dc:description, Unicode intact
    assert body["credit"] == "ECC 2024 / Demo"
    formats = {(d["format"], max(d["width"], d["height"])) for d in body["derivatives"]}
    assert formats == {(f, s) for f in ("jpeg", "webp") for s in (400, 1024, 1800)}
    # Each derivative URL serves an image of the stated size.
    for d in body["derivatives"]:
        got = client.get(d["url"])
        assert got.status_code == 200
        assert got.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with Image.open(io.BytesIO(got.data)) as img:
            assert img.size == (d["width"], d["height"])


def test_same_bytes_same_album_is_200_with_same_id(app, client, tokens, album):
    data = jpeg()
    first = upload(client, tokens["editor"], album.slug, data)
    second = upload(client, tokens["editor"], album.slug, data, "renamed.jpg")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.session.scalar(select(func.count(Photo.id))) == 1


def test_same_bytes_other_album_shares_the_stored_original(app, client, tokens, album):
    other = make_album("second-album")
    data = jpeg()
    a = upload(client, tokens["editor"], album.slug, data).get_json()
    b = upload(client, tokens["editor"], other.slug, data)
    assert b.status_code == 201 and b.get_json()["id"] != a["id"]
    originals = [k for k in stored_keys(app) if k.startswith("originals/")]
    assert originals == [f"originals/sha256/{a['sha256'][:2]}/{a['sha256'][2:4]}/{a['sha256']}"]


def test_original_is_bit_exact_under_content_addressed_key(app, client, tokens, album):
    data = (CORPUS / "exif-samples/jpg/Canon_40D.jpg").read_bytes()
    body = upload(client, tokens["photographer"], album.slug, data, "Canon_40D.jpg").get_json()
    storage = app.extensions["gallery_storage"]
    with storage.open(f"originals/sha256/{body['sha256'][:2]}/{body['sha256'][2:4]}/{body['sha256']}") as fh:
        assert fh.read() == data


@pytest.mark.parametrize(
    ("payload", "filename", "status", "needle"),
    [
        (b"GIF89a" + b"\x00" * 64, "photo.jpg", 415, "GIF"),
        (b"<!doctype html><html><script>alert(1)</script></html>", "x.jpg", 415, "HTML"),
        (b"%PDF-1.7\n" + b"x" * 100, "x.jpg", 415, "PDF"),
        (b"just some text that is not an image at all", "x.jpg", 415, "detected"),
    ],
)
def test_wrong_types_are_415_naming_what_was_detected(app, client, tokens, album, payload, filename, status, needle):
    response = upload(client, tokens["editor"], album.slug, payload, filename)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert needle in error["message"]
    assert stored_keys(app) == set()
    assert tmp_files(app) == []


def test_truncated_jpeg_is_422_could_not_decode(app, client, tokens, album):
    data = jpeg((800, 600))
    response = upload(client, tokens["editor"], album.slug, data[: len(data) // 2])
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("could not decode image")
    assert stored_keys(app) == set()
    assert db.session.scalar(select(func.count(Photo.id))) == 0


@pytest.mark.app_config(GALLERY_MAX_PIXELS="10000")
def test_too_many_pixels_is_422_before_decoding(app, client, tokens, album):
    response = upload(client, tokens["editor"], album.slug, jpeg((200, 100)))
    assert response.status_code == 422
    assert "pixels" in response.get_json()["error"]["message"]
    assert stored_keys(app) == set()


@pytest.mark.app_config(GALLERY_MAX_UPLOAD_MB="1")
def test_over_the_size_limit_is_413(app, client, tokens, album):
    big = jpeg((64, 64)) + b"\x00" * (1024 * 1024 + 10)
    response = upload(client, tokens["editor"], album.slug, big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert stored_keys(app) == set()
    assert tmp_files(app) == []


def test_missing_file_field_and_empty_file_are_400(app, client, tokens, album):
    headers = {"Authorization": f"Bearer {tokens['editor']}"}
    no_field = client.post(f"/api/v1/albums/{album.slug}/photos", data={"other": "x"}, headers=headers)
    assert no_field.status_code == 400
    assert "file" in no_field.get_json()["error"]["message"]
    empty = upload(client, tokens["editor"], album.slug, b"")
    assert empty.status_code == 400


def test_auth_and_unknown_album(app, client, tokens, album):
    assert upload(client, "gal_not-a-token", album.slug, jpeg()).status_code == 401
    anonymous = client.post(f"/api/v1/albums/{album.slug}/photos", data={"file": (io.BytesIO(jpeg()), "a.jpg")})
    assert anonymous.status_code == 401
    missing = upload(client, tokens["editor"], "no-such-album", jpeg())
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_idempotency_key_replays_the_first_answer(app, client, tokens, album):
    data = jpeg()
    key = {"Idempotency-Key": "upload-7f3a"}
    first = upload(client, tokens["editor"], album.slug, data, headers=key)
    again = upload(client, tokens["editor"], album.slug, data, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    other = upload(client, tokens["editor"], album.slug, jpeg(colour=(0, 0, 255)), headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["error"]["message"]
    # The same key from another user is that user's own key.
    theirs = upload(client, tokens["photographer"], album.slug, jpeg(colour=(0, 255, 0)), headers=key)
    assert theirs.status_code == 201


def test_undated_photos_sort_after_dated_in_upload_order(app, client, tokens, album):
    ids = []
    for colour, when in [
        ((1, 1, 1), None),
        ((2, 2, 2), "2024:05:08 10:00:00"),
        ((3, 3, 3), None),
        ((4, 4, 4), "2024:05:07 10:00:00"),
    ]:
        body = upload(client, tokens["editor"], album.slug, exif_jpeg(when, colour=colour)).get_json()
        ids.append(body["id"])
        if when is None:
            assert body["taken_at"] is None and body["taken_at_local"] is None
            assert body["taken_at_source"] == "upload"
    listed = client.get(f"/api/v1/albums/{album.slug}").get_json()["photos"]
    assert [p["id"] for p in listed] == [ids[3], ids[1], ids[0], ids[2]]


def test_offset_from_exif_wins_over_event_zone(app, client, tokens, album):
    body = upload(client, tokens["editor"], album.slug, exif_jpeg("2024:05:07 15:45:00", offset="+05:45")).get_json()
    assert body["taken_at"] == "2024-05-07T10:00:00Z"
    assert body["taken_at_local"] == "2024-05-07T15:45:00+05:45"


def _gps_sample() -> Path:
    oracle = json.loads((CORPUS / "exif-samples/exiftool-oracle.json").read_text())
    for entry in oracle:
        if entry.get("has_GPSLatitude") and entry["file"].lower().endswith(".jpg"):
            return CORPUS / "exif-samples" / entry["file"]
    raise AssertionError("the corpus has no JPEG with GPS")


def test_gps_is_stored_privately_and_never_served(app, client, tokens, album):
    sample = _gps_sample()
    response = upload(client, tokens["editor"], album.slug, sample)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    photo = db.session.get(Photo, body["id"])
    assert photo.gps_latitude is not None and photo.gps_longitude is not None
    lat = f"{photo.gps_latitude:.4f}"
    for payload in (response.get_data(as_text=True), client.get(f"/api/v1/albums/{album.slug}").get_data(as_text=True)):
        assert "gps" not in payload.lower() and "latitude" not in payload.lower() and lat not in payload
    assert body["derivatives"]
    for d in body["derivatives"]:
        data = client.get(d["url"]).data
        tags = exifread.process_file(io.BytesIO(data), details=False)
        assert not any(name.startswith("GPS") for name in tags), sorted(tags)
        with Image.open(io.BytesIO(data)) as img:
            assert 0x8825 not in img.getexif()


def test_derivative_failure_marks_failed_and_keeps_original(app, client, tokens, album, monkeypatch):
    from gallery.photos import process

    def broken(*args, **kwargs):
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(process, "render_derivatives", broken)
    response = upload(client, tokens["editor"], album.slug, jpeg())
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "failed"
    assert "encoder exploded" in body["error"]
    assert any(k.startswith("originals/") for k in stored_keys(app))
    monkeypatch.undo()
    # `gallery reprocess` retries it.
    result = app.test_cli_runner().invoke(args=["gallery", "reprocess"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    photo = db.session.get(Photo, body["id"])
    assert photo.status == PhotoStatus.ready and photo.error is None
    assert (
        db.session.scalar(select(func.count(Derivative.id)).where(Derivative.photo_id == photo.id)) == 4
    )  # 400 and 640 (never upscaled), JPEG + WebP


def test_storage_down_is_503_and_nothing_committed(app, tmp_path, database_url, tokens, album):
    from tests.conftest import make_app

    # A second app on the same database whose store is an S3 endpoint nobody answers.
    down = make_app(
        tmp_path / "down",
        database_url,
        GALLERY_STORAGE_URL="s3://gallery-test/media",
        GALLERY_S3_ENDPOINT_URL="http://127.0.0.1:9",  # the discard port: connection refused
        GALLERY_S3_CONNECT_TIMEOUT="1",
        GALLERY_S3_MAX_ATTEMPTS="1",
    )
    slug, token = album.slug, tokens["editor"]
    with down.app_context():
        try:
            response = upload(down.test_client(), token, slug, jpeg())
            assert response.status_code == 503
            error = response.get_json()["error"]
            assert error["code"] == "storage_unavailable"
            assert "nothing was saved" in error["message"]
        finally:
            db.session.remove()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert tmp_files(down) == []


def test_two_identical_uploads_at_once_make_one_photo(app, tokens, album):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import urllib.request

        data = jpeg((1200, 800))
        boundary = "gallery-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="same.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        results: list[tuple[int, int]] = []
        slug, token = album.slug, tokens["editor"]

        def send() -> None:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.server_port}/api/v1/albums/{slug}/photos",
                data=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                results.append((answer.status, json.loads(answer.read())["id"]))

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 4
        assert sorted(status for status, _ in results).count(201) == 1
        assert len({photo_id for _, photo_id in results}) == 1
        db.session.rollback()  # a fresh snapshot: the server committed in other connections
        assert db.session.scalar(select(func.count(Photo.id))) == 1
    finally:
        server.shutdown()
