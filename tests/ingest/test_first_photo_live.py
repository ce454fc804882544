"""First photo live (issue 12): a new photo is published with its smallest web size, decoded at the
smallest DCT scale that serves it, while the larger sizes are still being made (``sizes_pending``; the
API's ``derivatives`` and the pages' srcset list only what exists); then the larger sizes, keeping the
first; idempotent; the upload path and the Celery task take this way, ``gallery reprocess`` does not."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from gallery.extensions import db
from gallery.http import context
from gallery.models import Derivative, Photo, PhotoStatus
from gallery.photos import first_decode, process
from gallery.photos.process import process_photo, publish_progressively, stage_sizes
from tests.ingest.conftest import upload
from tests.unit.photos.test_process import stored_photo


def big_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3200, 2400), (30, 90, 150)).save(out, "JPEG")
    return out.getvalue()


def rows(photo_id: int) -> list[tuple[str, int, str]]:
    found = db.session.scalars(sa.select(Derivative).where(Derivative.photo_id == photo_id))
    return sorted((d.format, d.width, d.key) for d in found)


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    """Each test starts without a kept decoding (the generated JPEGs are the same bytes)."""
    first_decode.clear()
    yield
    first_decode.clear()


@pytest.fixture
def decoded_sizes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[int], tuple[int, int]]]:
    """(sizes asked, the size the original was decoded at) of every render."""
    seen: list[tuple[list[int], tuple[int, int]]] = []
    original = process.render_derivatives

    def spy(img: Image.Image, **kwargs: Any) -> Any:
        result = original(img, **kwargs)
        seen.append((list(kwargs["sizes"]), img.size))
        return result

    monkeypatch.setattr(process, "render_derivatives", spy)
    return seen


def test_stage_sizes() -> None:
    assert stage_sizes((2048, 400, 1024, 400), "first") == [400]
    assert stage_sizes((2048, 400, 1024), "rest") == [1024, 2048]
    assert stage_sizes((400,), "rest") == []
    assert stage_sizes((1024, 400), "all") == [400, 1024]


def test_smallest_size_first_then_the_rest(app: Flask, client, tmp_path: Path, decoded_sizes) -> None:
    photo = stored_photo(app, tmp_path, big_jpeg())
    photo_id = photo.id
    storage = context.storage(app)
    assert process_photo(db.session, storage, photo_id, sizes=(400, 1024), max_pixels=10**8, stage="first") == "ready"
    assert decoded_sizes == [([400], (400, 300))]  # 1/8 DCT scale: the smallest that serves 400 px
    db.session.expire_all()
    live = db.session.get(Photo, photo_id)
    assert live is not None and live.status is PhotoStatus.ready and live.sizes_pending
    first = rows(photo_id)
    assert [(fmt, width) for fmt, width, _ in first] == [("jpeg", 400), ("webp", 400)]

    # Live already: visitors see it, with only the size that exists.
    body = client.get(f"/api/v1/photos/{photo_id}").get_json()
    assert body["status"] == "ready" and body["sizes_pending"] is True
    assert {(d["format"], d["width"]) for d in body["derivatives"]} == {("jpeg", 400), ("webp", 400)}
    page = client.get(f"/albums/{live.album.slug}").get_data(as_text=True)
    assert " 400w" in page and " 1024w" not in page

    assert process_photo(db.session, storage, photo_id, sizes=(400, 1024), max_pixels=10**8, stage="rest") == "ready"
    assert decoded_sizes[1] == ([1024], (1600, 1200))  # 1/2 scale serves 1024 px
    db.session.expire_all()
    done = db.session.get(Photo, photo_id)
    assert done is not None and not done.sizes_pending
    assert [(fmt, width) for fmt, width, _ in rows(photo_id)] == [
        ("jpeg", 400),
        ("jpeg", 1024),
        ("webp", 400),
        ("webp", 1024),
    ]
    assert set(first) <= set(rows(photo_id))  # the first size was kept, not made again
    body = client.get(f"/api/v1/photos/{photo_id}").get_json()
    assert body["sizes_pending"] is False and len(body["derivatives"]) == 4


def test_publish_progressively_is_idempotent(app: Flask, tmp_path: Path) -> None:
    photo = stored_photo(app, tmp_path, big_jpeg())
    storage = context.storage(app)
    assert publish_progressively(db.session, storage, photo.id, sizes=(400, 1024), max_pixels=10**8) == "ready"
    once = rows(photo.id)
    assert publish_progressively(db.session, storage, photo.id, sizes=(400, 1024), max_pixels=10**8) == "ready"
    assert [(f, w) for f, w, _ in rows(photo.id)] == [(f, w) for f, w, _ in once] and len(once) == 4


def test_a_single_size_is_published_complete(app: Flask, tmp_path: Path) -> None:
    photo = stored_photo(app, tmp_path)
    assert publish_progressively(db.session, context.storage(app), photo.id, sizes=(400,), max_pixels=10**8) == "ready"
    db.session.expire_all()
    assert not db.session.get(Photo, photo.id).sizes_pending  # type: ignore[union-attr]


def test_a_photo_that_cannot_be_rendered_stops_at_the_first_stage(app: Flask, tmp_path: Path, decoded_sizes) -> None:
    photo = stored_photo(app, tmp_path, big_jpeg())
    first_decode.clear()  # a worker process: it reads the stored original, which is gone
    storage = context.storage(app)
    storage.delete(photo.original_key)
    status = publish_progressively(db.session, storage, photo.id, sizes=(400, 1024), max_pixels=10**8)
    assert status == "failed" and decoded_sizes == []


def test_uploads_take_the_progressive_way(
    app: Flask, client, tokens, album, decoded_sizes, monkeypatch: pytest.MonkeyPatch
) -> None:
    originals_opened: list[str] = []
    opener = process.open_original_path

    def counting(storage: Any, key: str) -> Any:
        originals_opened.append(key)
        return opener(storage, key)

    monkeypatch.setattr(process, "open_original_path", counting)
    response = upload(client, tokens["editor"], album.slug, big_jpeg(), "hall.jpg")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "ready" and body["sizes_pending"] is False
    sizes = context.settings(app).derivative_sizes
    assert [asked for asked, _ in decoded_sizes] == [[min(sizes)], sorted(sizes)[1:]]
    # The first size came from the upload check's decoding (1/8 scale), not from the file again.
    assert decoded_sizes[0][1] == (400, 300) and len(originals_opened) == 1


def test_a_worker_without_the_kept_decoding_reads_the_original(app: Flask, tmp_path: Path, decoded_sizes) -> None:
    photo = stored_photo(app, tmp_path, big_jpeg())
    first_decode.clear()  # another process (a Celery worker) never has it
    assert publish_progressively(db.session, context.storage(app), photo.id, sizes=(400, 1024), max_pixels=10**8)
    assert decoded_sizes[0] == ([400], (400, 300))
