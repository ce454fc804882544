"""Derivatives for a stored photo (gallery/photos/process.py): every size in JPEG and WebP, stored and
recorded, idempotent; a photo that cannot be rendered is ``failed`` with the reason; a store that fails is
retried when a retry follows, else the photo is ``failed`` (never left ``processing``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.http import context
from gallery.media.derivatives import derivative_key
from gallery.models import Derivative, Photo, PhotoStatus
from gallery.photos.ingest import ingest
from gallery.photos.process import Source, process_photo, render_and_store
from gallery.photos.received import spool
from gallery.storage import MemoryStorage, StorageError, StoredObject, sha256_hex
from tests.ingest.conftest import make_album


def stored_photo(app: Flask, tmp_path: Path, data: bytes | None = None) -> Photo:
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (900, 600), (30, 90, 150)).save(out, "JPEG")
        data = out.getvalue()
    received = spool(io.BytesIO(data), max_bytes=len(data) + 1, tmp_dir=tmp_path)
    outcome = ingest(
        db.session,
        context.storage(app),
        album=make_album(),
        received=received,
        filename="a.jpg",
        actor=SYSTEM,
        max_pixels=10**7,
    )
    return outcome.photo


def derivatives(photo_id: int) -> list[tuple[str, int, int]]:
    rows = db.session.scalars(sa.select(Derivative).where(Derivative.photo_id == photo_id))
    return sorted((d.format, d.width, d.height) for d in rows)


def test_every_size_in_both_formats_stored_and_recorded(app: Flask, tmp_path: Path) -> None:
    photo = stored_photo(app, tmp_path)
    storage = context.storage(app)
    assert process_photo(db.session, storage, photo.id, sizes=(200, 400), max_pixels=10**7) == "ready"
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).status is PhotoStatus.ready  # type: ignore[union-attr]
    assert derivatives(photo.id) == [("jpeg", 200, 133), ("jpeg", 400, 267), ("webp", 200, 133), ("webp", 400, 267)]
    for fmt, width, _ in derivatives(photo.id):
        assert storage.exists(derivative_key(photo.sha256, photo.media_version, width, fmt))
    # again: the same keys and rows, not twice as many
    assert process_photo(db.session, storage, photo.id, sizes=(200, 400), max_pixels=10**7) == "ready"
    assert len(derivatives(photo.id)) == 4


def test_sizes_larger_than_the_original_and_equal_widths_collapse(tmp_path: Path) -> None:
    storage = MemoryStorage()
    out = io.BytesIO()
    Image.new("RGB", (300, 20), (1, 2, 3)).save(out, "PNG")
    data = out.getvalue()
    sha = sha256_hex(data)
    storage.put("originals/thin", io.BytesIO(data), sha256=sha, content_type="image/png")
    rows = render_and_store(
        storage, Source(1, sha, "originals/thin", "", "", "0123456789abcdef"), sizes=(200, 400, 2048), max_pixels=10**6
    )
    widths = sorted((row.format, row.width) for row in rows)
    assert len(widths) == len(set(widths))  # one row per (format, width): no key written twice
    assert max(width for _, width in widths) <= 300  # never upscaled


def test_a_photo_that_cannot_be_rendered_fails_with_the_reason(app: Flask, tmp_path: Path) -> None:
    photo = stored_photo(app, tmp_path)
    storage = context.storage(app)
    garbage = b"not an image at all"
    storage.put(photo.original_key, io.BytesIO(garbage), sha256=sha256_hex(garbage), content_type="image/jpeg")
    assert process_photo(db.session, storage, photo.id, sizes=(200,), max_pixels=10**7) == "failed"
    db.session.expire_all()
    failed = db.session.get(Photo, photo.id)
    assert failed is not None and failed.status is PhotoStatus.failed
    assert failed.error is not None and failed.error.startswith("derivatives failed: ")
    assert derivatives(photo.id) == []


class BrokenStore(MemoryStorage):
    def __init__(self, source: Any) -> None:
        super().__init__()
        self.source = source

    def open(self, key: str) -> BinaryIO:
        return self.source.open(key)

    def local_path(self, key: str) -> Path | None:
        return self.source.local_path(key)

    def put(self, key: str, stream: BinaryIO, **kwargs: Any) -> StoredObject:
        raise StorageError("disk full")


def test_a_failing_store_is_retried_or_fails_the_photo(app: Flask, tmp_path: Path) -> None:
    photo = stored_photo(app, tmp_path)
    broken = BrokenStore(context.storage(app))
    with pytest.raises(StorageError):
        process_photo(db.session, broken, photo.id, sizes=(200,), max_pixels=10**7, retry_follows=True)
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).status is PhotoStatus.processing  # type: ignore[union-attr]
    assert process_photo(db.session, broken, photo.id, sizes=(200,), max_pixels=10**7) == "failed"
    db.session.expire_all()
    failed = db.session.get(Photo, photo.id)
    assert failed is not None and failed.error == "derivatives could not be stored: disk full"


def test_a_vanished_photo_is_missing(app: Flask) -> None:
    assert process_photo(db.session, context.storage(app), 999, sizes=(200,), max_pixels=10**7) == "missing"


def test_a_render_overtaken_by_a_new_media_version_is_stored_under_the_new_one(app: Flask, tmp_path: Path) -> None:
    """A hide or blur while the derivatives render gives the photo a new media version: what the
    render stored under the old one is deleted and the photo rendered again under the new one."""
    photo = stored_photo(app, tmp_path)
    storage = context.storage(app)
    first, photo_id, sha = photo.media_version, photo.id, photo.sha256
    db.session.rollback()
    real = render_and_store
    calls: list[str] = []

    def racing(store, source, **kwargs):  # type: ignore[no-untyped-def]
        rows = real(store, source, **kwargs)
        if not calls:  # the first render: the version changes meanwhile
            with db.engine.begin() as conn:
                conn.execute(sa.update(Photo).where(Photo.id == photo_id).values(media_version="feedfacefeedface"))
        calls.append(source.media_version)
        return rows

    import gallery.photos.process as process_module

    original = process_module.render_and_store
    process_module.render_and_store = racing
    try:
        assert process_photo(db.session, storage, photo_id, sizes=(200,), max_pixels=10**7) == "ready"
    finally:
        process_module.render_and_store = original
    assert calls == [first, "feedfacefeedface"]
    keys = {d.key for d in db.session.scalars(sa.select(Derivative).where(Derivative.photo_id == photo_id))}
    assert keys and all("/feedfacefeedface/" in key for key in keys)
    assert not list(storage.list(f"derivatives/{sha}/{first}/"))


def _runs(result: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("gallery_derivative_duration_seconds_count", {"result": result}) or 0.0


def test_one_timing_observation_per_photo_whether_its_sizes_come_in_one_or_two_stages(
    app: Flask, tmp_path: Path
) -> None:
    from gallery.photos.process import publish_progressively

    storage = context.storage(app)
    ready, failed = _runs("ready"), _runs("failed")
    photo = stored_photo(app, tmp_path)
    assert publish_progressively(db.session, storage, photo.id, sizes=(200, 400), max_pixels=10**7) == "ready"
    assert _runs("ready") == ready + 1  # the smallest size, then the rest: one run
    assert process_photo(db.session, storage, photo.id, sizes=(200, 400), max_pixels=10**7) == "ready"
    assert _runs("ready") == ready + 2
    garbage = b"not an image at all"  # the stored original broken: the first stage fails, the rest never runs
    storage.put(photo.original_key, io.BytesIO(garbage), sha256=sha256_hex(garbage), content_type="image/jpeg")
    assert publish_progressively(db.session, storage, photo.id, sizes=(200, 400), max_pixels=10**7) == "failed"
    assert (_runs("ready"), _runs("failed")) == (ready + 2, failed + 1)
