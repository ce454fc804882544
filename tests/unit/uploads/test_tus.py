"""gallery/uploads/tus.py: the tus rules without HTTP (the protocol over HTTP: tests/unit/api/test_uploads.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor
from gallery.core.errors import ConflictError, GalleryError, NotFoundError
from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, Role, utcnow
from gallery.uploads import tus
from gallery.uploads.models import Upload
from gallery.uploads.spool import Spool, UploadLocked
from tests.archive.conftest import jpeg, make_album
from tests.conftest import make_user


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@pytest.fixture
def intake(app: Flask) -> tus.Intake:
    make_album("tus-domain")
    user = make_user(Role.photographer)
    rendered: list[int] = []
    return tus.Intake(context.storage(), context.settings(), Actor(user=user, via="api"), rendered.append)


@pytest.fixture
def spool(app: Flask) -> Spool:
    return Spool(Path(app.instance_path) / "uploads")


def start(spool: Spool, intake: tus.Intake, data: bytes) -> tus.State:
    return tus.create(
        db.session, spool, intake, length=str(len(data)), metadata=meta(album="tus-domain", filename="d.jpg")
    )


def test_numbers_and_metadata() -> None:
    assert tus.parse_number(" 42 ", "Upload-Length") == 42
    for bad in (None, "", "-1", "1.5", "١٢", "9" * 20):
        with pytest.raises(GalleryError):
            tus.parse_number(bad, "Upload-Offset")
    assert tus.parse_metadata(meta(album="a", filename="zdjęcie.jpg") + ",empty") == {
        "album": "a", "filename": "zdjęcie.jpg", "empty": ""
    }  # fmt: skip
    for bad in ("album !!", "album YQ==,album YQ==", "a b c", "x" * 5000, "name " + base64.b64encode(b"\xff").decode()):
        with pytest.raises(GalleryError):
            tus.parse_metadata(bad)


def test_a_patch_while_another_writes_is_423_and_changes_nothing(spool: Spool, intake: tus.Intake) -> None:
    data = jpeg(11)
    state = start(spool, intake, data)
    with spool.locked(state.key), pytest.raises(UploadLocked):
        tus.append(db.session, spool, intake, state.key, offset="0", content_type=tus.CHUNK_TYPE, body=io.BytesIO(data))
    assert tus.status(db.session, spool, intake, state.key).offset == 0


def test_the_tail_of_a_killed_process_is_cut(spool: Spool, intake: tus.Intake) -> None:
    data = jpeg(12)
    state = start(spool, intake, data)
    tus.append(
        db.session, spool, intake, state.key, offset="0", content_type=tus.CHUNK_TYPE, body=io.BytesIO(data[:50])
    )
    with spool.path(state.key).open("ab") as tail:  # written by a PATCH whose process was killed
        tail.write(b"\x00" * 500)
    assert tus.status(db.session, spool, intake, state.key).offset == 50
    with pytest.raises(ConflictError):
        tus.append(
            db.session, spool, intake, state.key, offset="550", content_type=tus.CHUNK_TYPE, body=io.BytesIO(b"")
        )
    done = tus.append(
        db.session, spool, intake, state.key, offset="50", content_type=tus.CHUNK_TYPE, body=io.BytesIO(data[50:])
    )
    photo = db.session.get(Photo, done.photo_id)
    assert photo is not None and photo.sha256 == hashlib.sha256(data).hexdigest()
    assert not spool.exists(state.key)


def test_only_the_owner_sees_an_upload(spool: Spool, intake: tus.Intake) -> None:
    state = start(spool, intake, jpeg(13))
    other = make_user(Role.editor)
    with pytest.raises(NotFoundError):
        tus.status(db.session, spool, tus.Intake(intake.storage, intake.settings, Actor(user=other), print), state.key)
    with pytest.raises(NotFoundError):
        tus.terminate(db.session, spool, state.key, user_id=other.id)
    assert spool.exists(state.key)


def test_sweep(spool: Spool, intake: tus.Intake) -> None:
    expired = start(spool, intake, jpeg(14))
    finished = start(spool, intake, jpeg(15))
    tus.append(
        db.session, spool, intake, finished.key, offset="0", content_type=tus.CHUNK_TYPE, body=io.BytesIO(jpeg(15))
    )
    alive = start(spool, intake, jpeg(16))
    busy = start(spool, intake, jpeg(17))
    past = utcnow() - timedelta(minutes=1)
    db.session.execute(sa.update(Upload).where(Upload.key != alive.key).values(expires_at=past))
    db.session.commit()
    old_stray, young_stray = "o" * 32, "y" * 32
    spool.create(old_stray)
    spool.create(young_stray)
    hours_ago = time.time() - 3 * 3600
    os.utime(spool.path(old_stray), (hours_ago, hours_ago))
    seen: list[str] = []
    assert tus.sweep(db.session, spool, stray_after=timedelta(hours=1), dry_run=True, report=seen.append)
    assert spool.exists(expired.key) and spool.exists(old_stray)  # a dry run changes nothing
    with spool.locked(busy.key):  # a PATCH is writing: left for the next run
        removed = tus.sweep(db.session, spool, stray_after=timedelta(hours=1), report=seen.append)
    assert sorted(removed) == sorted([expired.key, finished.key, old_stray])
    assert spool.stored_keys() == sorted([alive.key, busy.key, young_stray])
    assert set(db.session.scalars(sa.select(Upload.key))) == {alive.key, busy.key}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1  # the photo stays
    assert any("expired unfinished upload" in line for line in seen)


def test_head_never_calls_an_unfinished_upload_done(spool: Spool, intake: tus.Intake) -> None:
    """All bytes in but not through the upload path (its final PATCH got a 503, or is still at
    it): HEAD waits for the lock and finishes it, so Upload-Offset == Upload-Length means done."""
    data = jpeg(18)
    state = start(spool, intake, data)
    spool.path(state.key).write_bytes(data)
    db.session.execute(sa.update(Upload).values(offset=len(data)))
    db.session.commit()
    head = tus.status(db.session, spool, intake, state.key)
    assert head.offset == len(data) and head.photo_id is not None and head.created
    assert db.session.get(Photo, head.photo_id) is not None and not spool.exists(state.key)
