"""gallery/uploads/resumable.py: tus with the spool in the bucket, without HTTP (moto over HTTP);
the protocol across two instances: tests/uploads/test_tus_s3.py."""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor
from gallery.core.errors import ConflictError
from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, Role, utcnow
from gallery.uploads import resumable, tus
from gallery.uploads.models import Upload
from gallery.uploads.spool import Spool, UploadLocked
from tests.archive.conftest import jpeg, make_album
from tests.conftest import make_user
from tests.storage.s3server import make_s3_storage, moto_env

MIB = 1024 * 1024


def test_part_sizes() -> None:
    assert resumable.part_size_for(1) == 5 * MIB == resumable.part_size_for(50_000 * MIB)
    assert resumable.part_size_for(50_000 * MIB + 1) == 6 * MIB  # at most 10,000 parts, whole MiB
    assert resumable.tail_key("abc", 7) == "uploads/tus/abc/tail-7"
    assert resumable.object_key("abc") == "uploads/tus/abc/object"


@pytest.fixture
def bucket_instance(make_instance: Callable[..., Flask], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    for name, value in moto_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(moto_endpoint).bucket
    return make_instance(
        GALLERY_STORAGE_URL=f"s3://{bucket}/media", GALLERY_S3_ENDPOINT_URL=moto_endpoint, GALLERY_UPLOAD_SPOOL="s3"
    )


def intake_of() -> tus.Intake:
    make_album("bucket")
    user = make_user(Role.photographer)
    return tus.Intake(context.storage(), context.settings(), Actor(user=user, via="api"), lambda _: None)


def begin(intake: tus.Intake, data: bytes) -> str:
    metadata = f"album {base64.b64encode(b'bucket').decode()}"
    state = resumable.create(db.session, Spool(Path("/nonexistent")), intake, length=str(len(data)), metadata=metadata)
    return state.key


def send(intake: tus.Intake, key: str, offset: int, body: bytes) -> tus.State:
    return resumable.append(
        db.session, Spool(Path("/nonexistent")), intake, key, offset=str(offset),
        content_type=tus.CHUNK_TYPE, body=io.BytesIO(body),
    )  # fmt: skip


def test_parts_and_tails_follow_the_offset(bucket_instance: Flask) -> None:
    data = jpeg(31, (1200, 900)) + bytes(range(256)) * 48_000  # a JPEG, then about 12 MiB
    with bucket_instance.app_context():
        intake = intake_of()
        key = begin(intake, data)
        store = context.storage()
        offsets = [0, 100, 5 * MIB - 1, 5 * MIB, 5 * MIB + 7, 11 * MIB, len(data)]
        for start, end in itertools.pairwise(offsets):
            state = send(intake, key, start, data[start:end])
            assert state.offset == end
            tails = sorted(obj.key for obj in store.list("uploads/"))
            if end < len(data) and end % (5 * MIB):
                assert tails == [resumable.tail_key(key, end)]  # the old tail is gone
            else:
                assert tails == []
        photo = db.session.get(Photo, state.photo_id)
        assert photo is not None
        with store.open(photo.original_key) as stored:
            assert stored.read() == data


def test_two_writers_at_one_offset_one_commits(bucket_instance: Flask) -> None:
    data = jpeg(32) * 3
    with bucket_instance.app_context():
        intake = intake_of()
        key = begin(intake, data)
        upload = db.session.scalar(sa.select(Upload).where(Upload.key == key))
        assert upload is not None
        db.session.rollback()
        send(intake, key, 0, data[:10])  # the other writer committed first ...
        with pytest.raises(ConflictError):  # ... so this one, which read offset 0 before, cannot
            resumable._write(db.session, intake, upload, 0, io.BytesIO(data[:20]), None)
        assert resumable.status(db.session, Spool(Path("/x")), intake, key).offset == 10


def test_a_finish_under_way_is_waited_for_and_an_abandoned_one_taken_over(
    bucket_instance: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = jpeg(33)
    with bucket_instance.app_context():
        intake = intake_of()
        key = begin(intake, data)
        send(intake, key, 0, data[:-1])
        # A request claimed the finish a moment ago (and is still at it): HEAD waits, then 423.
        db.session.execute(sa.update(Upload).values(offset=Upload.length, finished_at=utcnow()))
        db.session.commit()
        monkeypatch.setattr(tus, "FINISH_WAIT_SECONDS", 0.3)
        with pytest.raises(UploadLocked):
            resumable.status(db.session, Spool(Path("/x")), intake, key)
        # Claimed long ago by a process that died: taken over, and with a byte missing from the
        # bucket the offset goes back to where the parts end (the client sends the rest again).
        db.session.execute(sa.update(Upload).values(finished_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        state = resumable.status(db.session, Spool(Path("/x")), intake, key)
        assert state.offset == 0 and state.photo_id is None
        done = send(intake, key, 0, data)
        assert done.photo_id is not None and done.offset == len(data)
