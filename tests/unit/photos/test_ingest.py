"""Storing one received file as a photo (gallery/photos/ingest.py): the type from the bytes, the pixel limit,
a decode check, the metadata read into the row (clock corrections applied), the original stored once under its
hash, one row per bytes and album.  (The checks before it and the answers: tests/unit/photos/test_receive.py.)"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from gallery.core.audit import SYSTEM
from gallery.core.errors import UnprocessableImage, UnsupportedMediaType
from gallery.extensions import db
from gallery.http import context
from gallery.media.derivatives import original_key
from gallery.models import AuditLog, Photo, PhotoStatus, TakenAtSource
from gallery.photos.ingest import clean_filename, find_existing, ingest, inspect, store_original
from gallery.photos.received import Received, spool
from gallery.storage import MemoryStorage, StoredObject
from tests.conftest import CORPUS
from tests.ingest.conftest import make_album


def received(data: bytes, tmp_path: Path) -> Received:
    return spool(io.BytesIO(data), max_bytes=len(data) + 1, tmp_dir=tmp_path)


def jpeg(
    colour: tuple[int, int, int] = (10, 20, 30),
    *,
    when: str | None = None,
    size: tuple[int, int] = (320, 240),
    orientation: int | None = None,
) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON Z 6_2"
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_0001.JPG", "IMG_0001.JPG"),
        ("C:\\DCIM\\100\\IMG 1.jpg", "IMG 1.jpg"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b\u202ec.jpg", "abc.jpg"),
        ("e\u0301.jpg", "\u00e9.jpg"),
        (None, ""),
        ("  x.jpg  ", "x.jpg"),
        ("x" * 300, "x" * 255),
    ],
)
def test_clean_filename_keeps_a_label_only(name: str | None, expected: str) -> None:
    assert clean_filename(name) == expected


# --- inspect -----------------------------------------------------------------------------------------


def test_inspect_reads_type_size_and_metadata(tmp_path: Path) -> None:
    found = inspect(
        received((CORPUS / "exif-samples/jpg/Canon_40D.jpg").read_bytes(), tmp_path),
        event_timezone="Europe/Warsaw",
        max_pixels=10_000,
    )
    assert (found.kind, found.mime, found.width, found.height) == ("jpeg", "image/jpeg", 100, 68)  # as ExifTool
    values = found.values
    assert (values["camera_make"], values["camera_model"]) == ("Canon", "Canon EOS 40D")
    # naive EXIF time (2008:05:30 15:56:01), read in the event's zone (CEST, +02:00)
    assert values["taken_at"] == datetime(2008, 5, 30, 13, 56, 1, tzinfo=UTC)
    assert values["taken_at_source"] is TakenAtSource.exif_original
    assert values["taken_at_raw"] == "2008:05:30 15:56:01"
    assert values["clock_offset_seconds"] == 0 and values["gps_latitude"] is None


def test_inspect_applies_the_cameras_clock_correction(tmp_path: Path) -> None:
    data = jpeg(when="2024:05:07 09:00:00")
    plain = inspect(received(data, tmp_path), event_timezone="Europe/Brussels", max_pixels=10**6)
    corrections = {("NIKON CORPORATION", "NIKON Z 6_2", ""): timedelta(hours=1, minutes=3)}
    corrected = inspect(
        received(data, tmp_path), event_timezone="Europe/Brussels", max_pixels=10**6, clock_corrections=corrections
    )
    assert plain.values["taken_at"] == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)
    assert corrected.values["taken_at"] == datetime(2024, 5, 7, 8, 3, tzinfo=UTC)
    assert corrected.values["clock_offset_seconds"] == 3780


def test_inspect_gives_the_size_as_displayed(tmp_path: Path) -> None:
    found = inspect(received(jpeg(size=(320, 240), orientation=6), tmp_path), event_timezone="UTC", max_pixels=10**6)
    assert (found.width, found.height) == (240, 320)  # rotated by the EXIF orientation


def test_inspect_refuses_by_the_bytes_not_the_name(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMediaType, match="detected"):
        inspect(received(b"<html><script>alert(1)</script></html>", tmp_path), event_timezone="UTC", max_pixels=10**6)
    with pytest.raises(UnprocessableImage) as too_big:
        inspect(received(jpeg(size=(320, 240)), tmp_path), event_timezone="UTC", max_pixels=320 * 240 - 1)
    assert too_big.value.code == "too_many_pixels"
    truncated = jpeg(size=(640, 480), colour=(200, 10, 10))
    with pytest.raises(UnprocessableImage) as broken:
        inspect(received(truncated[: len(truncated) // 2], tmp_path), event_timezone="UTC", max_pixels=10**6)
    assert broken.value.code == "undecodable_image"


# --- store_original ----------------------------------------------------------------------------------


class CountingStorage(MemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.puts: list[str] = []

    def put(self, key: str, stream: BinaryIO, **kwargs: Any) -> StoredObject:
        self.puts.append(key)
        return super().put(key, stream, **kwargs)


def test_the_original_is_stored_once_under_its_hash(tmp_path: Path) -> None:
    storage = CountingStorage()
    data = jpeg()
    first = received(data, tmp_path)
    key = store_original(storage, first, "image/jpeg")
    assert key == original_key(first.sha256)
    assert storage.stat(key).size == len(data) and storage.stat(key).content_type == "image/jpeg"
    assert storage.stat(key).sha256 == first.sha256
    assert store_original(storage, received(data, tmp_path), "image/jpeg") == key  # already there: not rewritten
    assert storage.puts == [key]


# --- ingest --------------------------------------------------------------------------------------------


def test_ingest_commits_one_row_and_finds_it_again(app: Flask, tmp_path: Path) -> None:
    album = make_album()
    storage = context.storage(app)
    data = jpeg(when="2024:05:07 09:00:00")
    outcome = ingest(
        db.session,
        storage,
        album=album,
        received=received(data, tmp_path),
        filename="..\\IMG 1.jpg",
        actor=SYSTEM,
        max_pixels=10**6,
    )
    assert outcome.created
    photo = db.session.get(Photo, outcome.photo.id)
    assert photo is not None
    assert (photo.status, photo.original_filename, photo.content_type, photo.size) == (
        PhotoStatus.processing,
        "IMG 1.jpg",
        "image/jpeg",
        len(data),
    )
    assert photo.original_key == original_key(photo.sha256) and storage.exists(photo.original_key)
    upload = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "photo.upload"))
    assert upload is not None and upload.details["album"] == album.slug and upload.details["filename"] == "IMG 1.jpg"
    again = ingest(
        db.session,
        storage,
        album=album,
        received=received(data, tmp_path),
        filename="other.jpg",
        actor=SYSTEM,
        max_pixels=10**6,
    )
    assert not again.created and again.photo.id == photo.id
    assert find_existing(db.session, album.id, photo.sha256) is again.photo
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1


def test_the_same_bytes_in_another_album_are_another_photo(app: Flask, tmp_path: Path) -> None:
    storage = context.storage(app)
    data = jpeg()
    first = ingest(
        db.session,
        storage,
        album=make_album("one"),
        received=received(data, tmp_path),
        filename="a.jpg",
        actor=SYSTEM,
        max_pixels=10**6,
    )
    second = ingest(
        db.session,
        storage,
        album=make_album("two"),
        received=received(data, tmp_path),
        filename="a.jpg",
        actor=SYSTEM,
        max_pixels=10**6,
    )
    assert first.created and second.created and first.photo.id != second.photo.id
    assert first.photo.original_key == second.photo.original_key  # one stored original


def test_refused_bytes_leave_nothing(app: Flask, tmp_path: Path) -> None:
    storage = context.storage(app)
    with pytest.raises(UnsupportedMediaType):
        ingest(
            db.session,
            storage,
            album=make_album(),
            received=received(b"GIF89a not really", tmp_path),
            filename="a.gif",
            actor=SYSTEM,
            max_pixels=10**6,
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert list(storage.list("originals/")) == []
