"""Migration 0006 (media versions) on a database with photos, on SQLite and PostgreSQL: every photo
row gets its own random version, existing derivatives are copied to
``derivatives/<sha256>/<version>/<width>.<ext>`` (two rows holding the same bytes no longer share
objects), a missing object marks its photo for ``gallery reprocess``, it can run again, and the
downgrade moves them back."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.storage import sha256_hex
from tests.archive.conftest import storage_of
from tests.test_migrations import empty_database, migrated_app  # noqa: F401 - the fixtures

SHA = "ab" * 32
OTHER = "cd" * 32


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    disabled = {
        name: lg.disabled for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)
    }
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, lg in logging.Logger.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.disabled = disabled.get(name, False)


@pytest.fixture
def at_0005(migrated_app: Flask) -> Flask:  # noqa: F811 - the fixture
    flask_migrate.upgrade(revision="0005")
    return migrated_app


def put(app: Flask, key: str, data: bytes) -> None:
    storage_of(app).put(key, io.BytesIO(data), sha256=sha256_hex(data), content_type="image/jpeg")


def seed(conn: sa.Connection) -> None:
    now = "2024-05-07 10:00:00"
    conn.execute(
        sa.text(
            "INSERT INTO events (id, slug, title, starts_on, ends_on, timezone, location, description, created_at,"
            " updated_at) VALUES (1, 'e', 'E', '2024-05-07', '2024-05-08', 'UTC', '', '', :now, :now)"
        ),
        {"now": now},
    )
    for album_id in (1, 2):
        conn.execute(
            sa.text(
                "INSERT INTO albums (id, event_id, slug, title, description, visibility, sort_mode, original_downloads,"
                " created_at, updated_at) VALUES (:id, 1, :slug, 'A', '', 'public', 'capture_time', 'off', :now, :now)"
            ),
            {"id": album_id, "slug": f"a{album_id}", "now": now},
        )
    for photo_id, album_id, sha in ((1, 1, SHA), (2, 2, SHA), (3, 1, OTHER)):
        conn.execute(
            sa.text(
                "INSERT INTO photos (id, album_id, sha256, original_key, original_filename, content_type, size, width,"
                " height, taken_at_source, taken_at_flags, clock_offset_seconds, title, caption, alt_text, credit,"
                " copyright, keywords, status, created_at, updated_at) VALUES (:id, :album, :sha, 'originals/x',"
                " 'x.jpg', 'image/jpeg', 1, 10, 10, 'upload', '', 0, '', '', '', '', '', '[]', 'ready', :now, :now)"
            ),
            {"id": photo_id, "album": album_id, "sha": sha, "now": now},
        )
        for fmt, ext in (("jpeg", "jpg"), ("webp", "webp")):
            conn.execute(
                sa.text(
                    "INSERT INTO derivatives (photo_id, width, height, format, key, size)"
                    " VALUES (:id, 400, 300, :fmt, :key, 3)"
                ),
                {"id": photo_id, "fmt": fmt, "key": f"derivatives/{sha}/400.{ext}"},
            )


def rows() -> dict[int, tuple[str, set[str]]]:
    with db.engine.connect() as conn:
        versions = dict(conn.execute(sa.text("SELECT id, media_version FROM photos")).all())
        found: dict[int, tuple[str, set[str]]] = {pid: (v, set()) for pid, v in versions.items()}
        for photo_id, key in conn.execute(sa.text("SELECT photo_id, key FROM derivatives")):
            found[photo_id][1].add(key)
    return found


def test_existing_derivatives_move_to_versioned_keys(at_0005: Flask) -> None:
    app = at_0005
    with db.engine.begin() as conn:
        seed(conn)
    put(app, f"derivatives/{SHA}/400.jpg", b"jpg")
    put(app, f"derivatives/{SHA}/400.webp", b"web")
    put(app, f"derivatives/{OTHER}/400.jpg", b"oth")  # its WebP is missing

    flask_migrate.upgrade(revision="0006")
    found = rows()
    v1, keys1 = found[1]
    v2, keys2 = found[2]
    assert len({v1, v2, found[3][0]}) == 3 and all(len(v) == 16 for v in (v1, v2))
    assert keys1 == {f"derivatives/{SHA}/{v1}/400.jpg", f"derivatives/{SHA}/{v1}/400.webp"}
    assert keys2 == {f"derivatives/{SHA}/{v2}/400.jpg", f"derivatives/{SHA}/{v2}/400.webp"}
    store = storage_of(app)
    for key in keys1 | keys2:
        assert store.open(key).read() == (b"jpg" if key.endswith(".jpg") else b"web")
    # the photo whose WebP was missing: the row is dropped and the photo waits for gallery reprocess
    assert found[3][1] == {f"derivatives/{OTHER}/{found[3][0]}/400.jpg"}
    with db.engine.connect() as conn:
        status, error = conn.execute(sa.text("SELECT status, error FROM photos WHERE id = 3")).one()
        review = conn.execute(sa.text("SELECT review_uploads FROM events")).scalar_one()
    assert status == "failed" and "reprocess" in error and not review
    # the old objects are left for gallery gc (the schema change could still have rolled back)
    assert store.exists(f"derivatives/{SHA}/400.jpg")

    # Downgrade: the rows point at the unversioned keys again, and the objects are there.
    flask_migrate.downgrade(revision="0005")
    with db.engine.connect() as conn:
        keys = set(conn.execute(sa.text("SELECT key FROM derivatives")).scalars())
    assert keys == {f"derivatives/{SHA}/400.jpg", f"derivatives/{SHA}/400.webp", f"derivatives/{OTHER}/400.jpg"}
    assert all(store.exists(key) for key in keys)

    # And again (a restart finds nothing in its way): the same layout, new versions.
    flask_migrate.upgrade(revision="0006")
    again = rows()
    assert all(len(keys) == (1 if pid == 3 else 2) for pid, (_v, keys) in again.items())
    assert all(f"/{v}/" in key for v, keys in again.values() for key in keys)
