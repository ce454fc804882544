"""Helpers for the archive-integrity suite (verify, gc, BagIt, reprocess, faults, hostile input)."""

from __future__ import annotations

import io
import os
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.config import parse_database_url
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, Derivative, Event, Photo
from gallery.storage import Storage
from tests.conftest import make_app
from tests.storage.s3server import moto_server


def make_album(slug: str = "archive-photos", *, event_slug: str | None = None, tz: str = "Europe/Warsaw") -> Album:
    event_slug = event_slug or f"{slug}-event"
    event = db.session.scalar(select(Event).where(Event.slug == event_slug))
    if event is None:
        event = catalog.create_event(
            db.session,
            slug=event_slug,
            title="Archive Days 2024",
            starts_on="2024-05-07",
            ends_on="2024-05-08",
            timezone=tz,
            location="Kraków",
            actor=SYSTEM,
        )
    album = albums.create_album(db.session, event=event, slug=slug, title=f"Photos {slug}", actor=SYSTEM)
    db.session.commit()
    return album


@pytest.fixture
def album(app: Flask) -> Album:
    return make_album()


def jpeg(seed: int, size: tuple[int, int] = (320, 240), *, exif: bytes | None = None) -> bytes:
    """A small JPEG whose bytes depend on ``seed`` (noise, so every seed gives another hash)."""
    w, h = size
    img = Image.frombytes("RGB", (w, h), random.Random(seed).randbytes(w * h * 3))
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 80}
    if exif is not None:
        options["exif"] = exif
    img.save(out, "JPEG", **options)
    return out.getvalue()


def dated_exif(when: str, *, caption: str | None = None, artist: str | None = None) -> bytes:
    exif = Image.Exif()
    if caption is not None:
        exif[0x010E] = caption
    if artist is not None:
        exif[0x013B] = artist
    exif.get_ifd(0x8769)[0x9003] = when
    return exif.tobytes()


def upload(client: FlaskClient, token: str, album_slug: str, data: bytes, filename: str = "photo.jpg") -> Any:
    return client.post(
        f"/api/v1/albums/{album_slug}/photos",
        data={"file": (io.BytesIO(data), filename)},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )


def add_photo(client: FlaskClient, token: str, album_slug: str, data: bytes, filename: str = "photo.jpg") -> int:
    response = upload(client, token, album_slug, data, filename)
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def cli(app: Flask, *args: str) -> Result:
    """Run ``flask gallery ARGS`` in-process; ``result.stdout`` / ``result.stderr`` are separate."""
    return app.test_cli_runner().invoke(args=["gallery", *args])


def storage_of(app: Flask) -> Storage:
    return app.extensions["gallery_storage"]


def stored_keys(app: Flask, prefix: str = "") -> set[str]:
    return {obj.key for obj in storage_of(app).list(prefix)}


def consistency_problems(app: Flask) -> list[str]:
    """Storage and database must agree exactly: every original and derivative object belongs
    to a row, and every row's object exists."""
    db.session.rollback()
    originals = stored_keys(app, "originals/")
    derivatives = stored_keys(app, "derivatives/")
    original_refs = set(db.session.scalars(select(Photo.original_key)))
    derivative_refs = set(db.session.scalars(select(Derivative.key)))
    db.session.rollback()
    problems = []
    problems += [f"orphan object {k}" for k in sorted(originals - original_refs)]
    problems += [f"row without its original {k}" for k in sorted(original_refs - originals)]
    problems += [f"orphan derivative {k}" for k in sorted(derivatives - derivative_refs)]
    problems += [f"derivative row without object {k}" for k in sorted(derivative_refs - derivatives)]
    return problems


def leftover_temp_files(app: Flask) -> list[Path]:
    """Half-written files: upload spools in the instance tmp folder and the local store's temp folder."""
    settings = app.config["GALLERY_SETTINGS"]
    found = [p for p in (settings.instance_path / "tmp").glob("*") if p.is_file()]
    root = getattr(storage_of(app), "root", None)
    if root is not None:
        found += [p for p in (Path(root) / ".~tmp").glob("*") if p.is_file()]
    return found


# --- apps with their own configuration (S3 on moto, a second instance, small limits) -------------

PG_URL = os.environ.get("GALLERY_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 endpoint (moto over HTTP on 127.0.0.1)."""
    with moto_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture(scope="session")
def archive_schemas() -> Iterator[Callable[[int], str]]:
    """PostgreSQL schemas private to this suite and xdist worker: one per app instance of a test."""
    created: set[str] = set()
    worker = re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))

    def url(n: int) -> str:
        assert PG_URL
        # The pid keeps concurrent runs on one server (two checkouts, two sessions) apart.
        schema = f"gallery_archive_{os.getpid()}_{worker}_{n}"
        if schema not in created:
            engine = sa.create_engine(parse_database_url(PG_URL))
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            engine.dispose()
            created.add(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    yield url
    if created:
        engine = sa.create_engine(parse_database_url(PG_URL))
        with engine.begin() as conn:
            for schema in created:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def make_instance(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Flask]]:
    """``make_instance(**GALLERY_overrides)``: a separate Gallery instance (own folder, own
    database on the same backend as ``database_url``, tables created), cleaned up after the test.
    Use ``with app.app_context():`` to work with it."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        n = len(apps)
        folder = tmp_path / f"instance-{n}"
        folder.mkdir()
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{folder / 'gallery.db'}"
        else:
            url = request.getfixturevalue("archive_schemas")(n)
        overrides.setdefault("GALLERY_STORAGE_URL", (folder / "media").as_uri())
        application = make_app(folder, url, **overrides)
        with application.app_context():
            db.drop_all()
            db.create_all()
            db.session.remove()
        apps.append(application)
        return application

    yield factory
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
