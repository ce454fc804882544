"""A small world for the management tests: two events, three albums, photos by an
editor and by a photographer (rows made straight in the database, each with a JPEG
derivative row), and logged-in clients per role; the ingest suite's ``album`` for the upload page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import (
    Album,
    AuditLog,
    Derivative,
    Event,
    Photo,
    PhotoStatus,
    Role,
    TakenAtSource,
    User,
)
from tests.conftest import csrf_from, login, make_user
from tests.ingest.conftest import album

__all__ = ["START", "World", "add_photo", "album", "audit_actions", "fresh", "token", "world"]

START = datetime(2024, 5, 7, 7, 0, tzinfo=UTC)  # 09:00 in Brussels
_counter = {"n": 0}


def add_photo(
    album: Album,
    *,
    by: User | None = None,
    taken_at: datetime | None = None,
    sha: str | None = None,
    status: PhotoStatus = PhotoStatus.ready,
    camera: tuple[str, str, str] = ("Canon", "EOS R6", ""),
    flags: str = "offset_from_exif",
    offset_minutes: int = 120,
    commit: bool = True,
    **values: Any,
) -> Photo:
    _counter["n"] += 1
    n = _counter["n"]
    sha = sha or hashlib.sha256(f"photo-{n}".encode()).hexdigest()
    photo = Photo(
        album_id=album.id,
        sha256=sha,
        original_key=f"originals/{sha[:2]}/{sha}",
        original_filename=values.pop("original_filename", f"IMG_{n:04d}.jpg"),
        content_type="image/jpeg",
        size=1000,
        width=3000,
        height=2000,
        taken_at=taken_at,
        taken_at_offset_minutes=offset_minutes if taken_at else None,
        taken_at_source=TakenAtSource.exif_original if taken_at else TakenAtSource.upload,
        taken_at_raw=taken_at.astimezone(timezone(timedelta(minutes=offset_minutes))).strftime("%Y:%m:%d %H:%M:%S")
        if taken_at
        else None,
        taken_at_flags=flags if taken_at else "",
        camera_make=camera[0],
        camera_model=camera[1],
        camera_serial=camera[2] or None,
        status=status,
        uploaded_by_id=by.id if by else None,
        **values,
    )
    db.session.add(photo)
    db.session.flush()
    db.session.add(
        Derivative(
            photo_id=photo.id,
            width=400,
            height=267,
            format="jpeg",
            key=f"derivatives/{sha}/{photo.media_version}/400.jpg",
            size=100,
        )
    )
    if commit:
        db.session.commit()
    return photo


@dataclass
class World:
    users: dict[str, User]
    event: Event
    other_event: Event
    album: Album  # "main": photos by the editor and by the photographer
    sibling: Album  # same event, empty
    far: Album  # the other event
    editor_photos: list[int]
    own_photos: list[int]  # uploaded by the photographer

    def client(self, app: Flask, role: str) -> FlaskClient:
        client = app.test_client()
        if role != "anonymous":
            login(client, self.users[role].email)
        return client


@pytest.fixture
def world(app: Flask) -> World:
    users = {role.value: make_user(role) for role in Role}
    event = catalog.create_event(
        db.session,
        slug="ecc",
        title="European Cluster Conference",
        starts_on="2024-05-07",
        ends_on="2024-05-08",
        timezone="Europe/Brussels",
        location="Brussels",
        actor=SYSTEM,
    )
    other_event = catalog.create_event(
        db.session,
        slug="summit",
        title="Summit",
        starts_on="2024-06-01",
        ends_on="2024-06-01",
        timezone="Europe/Warsaw",
        actor=SYSTEM,
    )
    album = albums.create_album(db.session, event=event, slug="main", title="Main album", actor=SYSTEM)
    sibling = albums.create_album(db.session, event=event, slug="sibling", title="Sibling", actor=SYSTEM)
    far = albums.create_album(
        db.session, event=other_event, slug="far", title="Far", visibility="private", actor=SYSTEM
    )
    db.session.commit()
    editor_photos = [
        add_photo(
            album, by=users["editor"], taken_at=START + timedelta(minutes=10 * i), caption=f"Caption {i}", commit=False
        ).id
        for i in range(4)
    ]
    own_photos = [
        add_photo(
            album,
            by=users["photographer"],
            taken_at=START + timedelta(minutes=10 * i + 5),
            camera=("Nikon", "Z 6", "SN1"),
            commit=False,
        ).id
        for i in range(2)
    ]
    db.session.commit()
    db.session.expire_all()
    return World(users, event, other_event, album, sibling, far, editor_photos, own_photos)


def token(client: FlaskClient, page: str = "/manage/") -> str:
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def fresh(model: type, ident: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, ident)
