"""The models (gallery/models.py): times stored as UTC and handed back aware on every backend, text limits
declared once on the columns, enums stored as their values and checked, the Flask-Login side of a user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import sqlite

from gallery.extensions import db
from gallery.models import (
    Album,
    AuditLog,
    Event,
    Photo,
    PhotoStatus,
    Role,
    TakenAtSource,
    User,
    UTCDateTime,
    Visibility,
    max_length,
    utcnow,
)
from tests.conftest import make_user


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC and abs(datetime.now(UTC) - now) < timedelta(seconds=5)


def test_utc_datetimes_are_stored_naive_and_come_back_aware() -> None:
    column = UTCDateTime()
    dialect = sqlite.dialect()
    warsaw = datetime(2024, 5, 7, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert column.process_bind_param(warsaw, dialect) == datetime(2024, 5, 7, 7, 30)
    assert column.process_bind_param(None, dialect) is None
    with pytest.raises(ValueError, match="naive datetime"):
        column.process_bind_param(datetime(2024, 5, 7, 9, 30), dialect)
    assert column.process_result_value(datetime(2024, 5, 7, 7, 30), dialect) == datetime(2024, 5, 7, 7, 30, tzinfo=UTC)
    assert column.process_result_value(None, dialect) is None


def test_a_time_makes_the_round_trip_through_the_database(app: Flask) -> None:
    user = make_user(Role.editor)
    user.last_login_at = datetime(2024, 5, 7, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(User, user.id)
    assert loaded is not None and loaded.last_login_at == datetime(2024, 5, 7, 7, 30, tzinfo=UTC)
    assert loaded.last_login_at.tzinfo is UTC
    assert loaded.created_at.tzinfo is UTC and loaded.updated_at >= loaded.created_at


def test_max_length_from_strings_and_declared_text_limits() -> None:
    assert max_length(User.email) == 320
    assert max_length(Photo.caption) == 10_000  # a Text column with info={"max_length": ...}
    assert max_length(Photo.__table__.c.caption) == 10_000
    with pytest.raises(ValueError, match="declares no length"):
        max_length(AuditLog.details)


def test_enums_are_stored_as_their_values_and_checked(app: Flask) -> None:
    assert str(Visibility.unlisted) == "unlisted" and f"{PhotoStatus.ready}" == "ready"
    assert [s.value for s in TakenAtSource] == ["exif_original", "exif_digitized", "exif_datetime", "xmp", "upload"]
    user = make_user(Role.photographer)
    stored = db.session.execute(sa.text("SELECT role FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert stored == "photographer"
    with pytest.raises(sa.exc.StatementError):
        db.session.execute(sa.insert(User).values(email="x@example.org", role="superuser"))
    db.session.rollback()


def test_one_photo_per_bytes_and_album(app: Flask) -> None:
    event = Event(
        slug="ecc",
        title="ECC",
        starts_on=datetime(2024, 5, 7).date(),
        ends_on=datetime(2024, 5, 8).date(),
        timezone="Europe/Brussels",
    )
    album = Album(event=event, slug="a", title="A", visibility=Visibility.public)
    db.session.add_all([event, album])
    db.session.flush()

    def photo() -> Photo:
        return Photo(
            album_id=album.id,
            sha256="ab" * 32,
            original_key="originals/ab",
            original_filename="a.jpg",
            content_type="image/jpeg",
            size=1,
            width=1,
            height=1,
            taken_at_source=TakenAtSource.upload,
            status=PhotoStatus.ready,
        )

    db.session.add(photo())
    db.session.flush()
    db.session.add(photo())
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_user_for_flask_login(app: Flask) -> None:
    user = make_user(Role.editor, "ola@example.org")
    assert user.is_authenticated and not user.is_anonymous and user.is_active
    user.active = False
    assert not user.is_active
    assert repr(user) == "<User ola@example.org editor>"
    with pytest.raises(RuntimeError, match="not loaded through a login session"):
        user.get_id()  # the numeric id never goes into a cookie
    user.login_session_id = "a-random-session-id"
    assert user.get_id() == "a-random-session-id"
