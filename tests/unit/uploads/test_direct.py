"""gallery/uploads/direct.py: the rules of direct uploads to S3 (the whole way with parts PUT over
HTTP and the request log: tests/uploads/test_direct_s3.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor
from gallery.core.errors import ConflictError, EmptyFile, NotFoundError, PayloadTooLarge, PhotoDeleted, ValidationError
from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, Role, utcnow
from gallery.storage.s3_direct import complete
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


def sign(intake: Intake, key: str, method: str, upload_id: str, part_number: int | None = None) -> str:
    return direct.sign(db.session, intake, key, method=method, upload_id=upload_id, part_number=part_number)


def test_signing_is_bound_to_the_upload_its_owner_and_its_parts(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for()
        started = begin(intake, b"z" * (9 * 1024 * 1024))  # two parts of 8 MiB
        assert isinstance(started, direct.Started)
        row = db.session.scalar(sa.select(Upload).where(Upload.key == started.key))
        assert row is not None and row.multipart_id == started.upload_id
        staging = f"uploads/direct/{started.key}"
        for method, part, expected in (("PUT", 2, "partNumber=2"), ("GET", None, "uploadId="), ("POST", None, "")):
            url = sign(intake, started.key, method, started.upload_id, part)
            assert staging in url and "X-Amz-Signature=" in url and expected in url
        assert "uploadId=" in sign(intake, started.key, "delete", started.upload_id)  # methods in any case
        with pytest.raises(ValidationError) as other_id:  # another multipart upload: never signed
            sign(intake, started.key, "PUT", started.upload_id + "x", 1)
        assert other_id.value.field == "upload_id"
        with pytest.raises(ValidationError) as past:  # the upload has two parts
            sign(intake, started.key, "PUT", started.upload_id, 3)
        assert past.value.field == "part_number"
        with pytest.raises(ValidationError):
            sign(intake, started.key, "PUT", started.upload_id, 0)
        for method, part in (("POST", 1), ("PUT", None), ("HEAD", None), ("GET", 1)):  # creating is Gallery's
            with pytest.raises(ValidationError) as wrong:
                sign(intake, started.key, method, started.upload_id, part)
            assert wrong.value.field == "method"
        with pytest.raises(NotFoundError):  # someone else's upload (even an admin's request)
            sign(intake_for(Role.admin), started.key, "PUT", started.upload_id, 1)
        with pytest.raises(NotFoundError):
            sign(intake, "no-such-key", "PUT", started.upload_id, 1)
        db.session.execute(sa.update(Upload).values(finished_at=utcnow()))  # completed or being completed
        db.session.commit()
        with pytest.raises(ConflictError):
            sign(intake, started.key, "PUT", started.upload_id, 1)
        db.session.execute(sa.update(Upload).values(finished_at=None, expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        with pytest.raises(UploadGone):
            sign(intake, started.key, "PUT", started.upload_id, 1)


def test_signing_needs_s3_and_the_page_origin_follows_the_store(app: Flask, s3_instance: Flask) -> None:
    make_album("direct")
    with pytest.raises(direct.NeedsS3):
        sign(intake_for(), "any", "PUT", "any", 1)
    assert direct.page_origin(context.storage()) is None
    with s3_instance.app_context():
        origin = direct.page_origin(context.storage())
        assert origin is not None and origin.startswith("http://127.0.0.1:")


def test_completing_without_parts_takes_the_object_the_client_assembled(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for()
        data = jpeg(3)
        started = begin(intake, data)
        assert isinstance(started, direct.Started)
        with pytest.raises(direct.NotAssembled):  # not assembled yet: nothing refused, ask again later
            direct.complete(db.session, intake, started.key, None)
        row = db.session.scalar(sa.select(Upload).where(Upload.key == started.key))
        assert row is not None and row.finished_at is None and row.status_code is None
        store = context.storage()
        part = requests.put(started.urls[0], data=data, timeout=60)
        complete(store, f"uploads/direct/{started.key}", started.upload_id, [(1, part.headers["ETag"])])
        finished = direct.complete(db.session, intake, started.key, None)
        assert finished.status_code == 201 and finished.photo.sha256 == hashlib.sha256(data).hexdigest()
        assert direct.complete(db.session, intake, started.key, None).photo.id == finished.photo.id  # asked again


def test_an_object_the_client_assembled_wrong_is_removed(s3_instance: Flask) -> None:
    with s3_instance.app_context():
        make_album("direct")
        intake = intake_for()
        data = jpeg(4)
        started = begin(intake, data)
        assert isinstance(started, direct.Started)
        part = requests.put(started.urls[0], data=data + b"more", timeout=60)
        store = context.storage()
        complete(store, f"uploads/direct/{started.key}", started.upload_id, [(1, part.headers["ETag"])])
        with pytest.raises(ValidationError) as refused:
            direct.complete(db.session, intake, started.key, None)
        assert refused.value.code == "mismatch"
        assert not list(store.list("uploads/"))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
