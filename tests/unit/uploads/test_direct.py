"""gallery/uploads/direct.py: the rules of direct uploads to S3 (the whole way with parts PUT over
HTTP and the request log: tests/uploads/test_direct_s3.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor
from gallery.core.errors import ConflictError, EmptyFile, NotFoundError, PayloadTooLarge, PhotoDeleted, ValidationError
from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, Role, utcnow
from gallery.uploads import direct
from gallery.uploads.models import Upload
from gallery.uploads.tus import Intake, UploadGone
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user


def intake_for(role: Role = Role.photographer) -> Intake:
    user = make_user(role)
    return Intake(context.storage(), context.settings(), Actor(user=user, via="api"), lambda _photo_id: None)


def begin(intake: Intake, data: bytes, **extra: object) -> direct.Started | direct.Finished:
    values = {
        "album_slug": "direct",
        "filename": "d.jpg",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return direct.start(db.session, intake, **{**values, **extra})  # type: ignore[arg-type]


def test_local_storage_is_409(app: Flask) -> None:
    make_album("direct")
    with pytest.raises(direct.NeedsS3) as refused:
        begin(intake_for(), jpeg(1))
    assert refused.value.status == 409 and "need S3" in refused.value.message


def test_start_checks_and_answers(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for(Role.editor)
        started = begin(intake, b"x" * (20 * 1024 * 1024))
        assert isinstance(started, direct.Started) and started.part_size == 8 * 1024 * 1024 and len(started.urls) == 3
        row = db.session.scalar(sa.select(Upload).where(Upload.key == started.key))
        assert row is not None and row.kind == "direct" and row.object_key == f"uploads/direct/{started.key}"
        with pytest.raises(NotFoundError):
            begin(intake, b"x", album_slug="no-such-album")
        with pytest.raises(PayloadTooLarge):
            begin(intake, b"x", size=10**12)
        with pytest.raises(EmptyFile):
            begin(intake, b"")


def test_bytes_already_there_answer_at_once_unless_deleted(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for(Role.editor)
        data = jpeg(2)
        photo_id = add_photo(s3_instance.test_client(), make_token(intake.actor.user), "direct", data)  # type: ignore[arg-type]
        found = begin(intake, data)
        assert isinstance(found, direct.Finished) and found.photo.id == photo_id and found.status_code == 200
        db.session.execute(sa.update(Photo).values(deleted_at=utcnow()))
        db.session.commit()
        with pytest.raises(PhotoDeleted):
            begin(intake, data)


def test_completion_rules(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for()
        started = begin(intake, b"y" * 100)
        assert isinstance(started, direct.Started)
        with pytest.raises(ValidationError):  # part 2 does not exist; nothing is aborted
            direct.complete(db.session, intake, started.key, [(1, '"a"'), (2, '"b"')])
        with pytest.raises(NotFoundError):  # someone else's
            direct.complete(db.session, intake_for(Role.admin), started.key, [(1, '"a"')])
        db.session.execute(sa.update(Upload).values(finished_at=utcnow()))  # another request is on it
        db.session.commit()
        with pytest.raises(ConflictError) as busy:
            direct.complete(db.session, intake, started.key, [(1, '"a"')])
        assert busy.value.code == "completing"
        db.session.execute(sa.update(Upload).values(finished_at=None, expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        with pytest.raises(UploadGone):
            direct.complete(db.session, intake, started.key, [(1, '"a"')])
        seen: list[str] = []
        assert direct.sweep(db.session, intake.storage, dry_run=True, report=seen.append) == [started.key]
        assert direct.sweep(db.session, intake.storage) == [started.key]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0 and seen
