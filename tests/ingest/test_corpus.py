"""Every file of the shared corpus, through the real API: it is stored or refused
with a 4xx and a reason, never a 500, each within 10 s; afterwards storage and
database agree exactly (no orphan, nothing missing)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Derivative, Photo, PhotoStatus
from tests.conftest import CORPUS
from tests.ingest.conftest import upload

SKIP_NAMES = {"MANIFEST.tsv", "SOURCE.txt", "LICENSE-Pillow.txt", "README.rst", "README", "exiftool-oracle.json"}


def corpus_files() -> list[Path]:
    files = [
        p
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.name not in SKIP_NAMES and not p.name.endswith((".txt", ".md", ".json", ".tsv"))
    ]
    return files


# Only SQLite here: the behaviour under test does not depend on the database,
# and every file is uploaded once (about 200 files).
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_corpus_file_is_stored_or_refused_cleanly(app, client, tokens, album):
    files = corpus_files()
    assert len(files) > 150, "the corpus is missing"
    outcomes: dict[str, list[str]] = {"stored": [], "refused": []}
    slowest = (0.0, "")
    for path in files:
        started = time.perf_counter()
        response = upload(client, tokens["editor"], album.slug, path, path.name)
        elapsed = time.perf_counter() - started
        slowest = max(slowest, (elapsed, path.name))
        name = str(path.relative_to(CORPUS))
        assert response.status_code < 500, f"{name}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        assert elapsed < 10, f"{name} took {elapsed:.1f} s"
        body = response.get_json()
        if response.status_code in (200, 201):
            assert body["sha256"] and body["status"] in ("ready", "failed")
            outcomes["stored"].append(name)
        else:
            assert 400 <= response.status_code < 500
            assert body["error"]["message"], name
            assert response.status_code in (400, 413, 415, 422), (name, response.status_code)
            outcomes["refused"].append(name)
    # The camera files are real photos: all of them must be stored.
    image_suffixes = (".jpg", ".jpeg", ".tif", ".tiff", ".heic")
    cameras = [
        n
        for n in outcomes["refused"]
        if n.startswith("exif-samples/") and n.lower().endswith(image_suffixes) and "corrupt" not in n
    ]
    assert not cameras, f"real camera files refused: {cameras}"
    assert outcomes["stored"] and outcomes["refused"]

    # Storage and database agree exactly.
    db.session.rollback()
    storage = app.extensions["gallery_storage"]
    stored = {obj.key for obj in storage.list("")}
    photos = db.session.scalars(select(Photo)).all()
    expected = {p.original_key for p in photos} | set(db.session.scalars(select(Derivative.key)))
    assert stored == expected
    for photo in photos:
        assert storage.stat(photo.original_key).size == photo.size
        if photo.status == PhotoStatus.ready:
            assert photo.derivatives, photo.original_filename
    tmp = app.config["GALLERY_SETTINGS"].instance_path / "tmp"
    assert not list(tmp.iterdir())
    print(
        f"\nstored {len(outcomes['stored'])}, refused {len(outcomes['refused'])}, "
        f"slowest {slowest[1]} {slowest[0]:.2f}s"
    )
