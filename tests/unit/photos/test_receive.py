"""gallery.photos.receive.receive: the one upload path, called here as a domain function (an app
context for the database session, no request): new bytes, the same bytes, deleted ones, a photo
stuck in ``processing``, empty and too large files, what the answer may show, Idempotency-Keys."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, has_request_context
from PIL import Image
from sqlalchemy import func, select

from gallery.config import Settings
from gallery.core.audit import Actor
from gallery.core.errors import EmptyFile, PayloadTooLarge, PhotoDeleted, ValidationError
from gallery.extensions import db
from gallery.models import Album, IdempotencyKey, Photo, PhotoStatus, User
from gallery.photos.process import process_photo
from gallery.photos.receive import IdempotencyKeyUse, Receipt, receive
from gallery.photos.received import Received, spool
from gallery.storage import Storage
from tests.ingest.conftest import make_album


def jpeg(colour: tuple[int, int, int], caption: str = "") -> bytes:
    exif = Image.Exif()
    if caption:
        exif[0x010E] = caption  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


class Derivatives:
    """The derivative work handed over by receive: recorded, and rendered in-process unless
    ``render`` is off (then the photo stays ``processing``, as after a killed worker)."""

    def __init__(self, app: Flask, *, render: bool = True) -> None:
        self.app = app
        self.render = render
        self.photo_ids: list[int] = []
        self.open_transaction: list[bool] = []

    def __call__(self, photo_id: int) -> None:
        self.photo_ids.append(photo_id)
        self.open_transaction.append(db.session().in_transaction())
        if self.render:
            settings: Settings = self.app.config["GALLERY_SETTINGS"]
            process_photo(
                db.session, storage(self.app), photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )


def storage(app: Flask) -> Storage:
    found: Storage = app.extensions["gallery_storage"]
    return found


def spooled(data: bytes, tmp_path: Path) -> Received:
    return spool(io.BytesIO(data), max_bytes=len(data) + 1, tmp_dir=tmp_path)


def upload(
    app: Flask,
    data: bytes,
    tmp_path: Path,
    *,
    album: Album,
    user: User,
    derivatives: Derivatives | None = None,
    idempotency: IdempotencyKeyUse | None = None,
    settings: Settings | None = None,
) -> Receipt:
    return receive(
        db.session,
        storage(app),
        spooled(data, tmp_path),
        filename="IMG_0001.JPG",
        album=album,
        actor=Actor(user=user, via="api"),
        settings=settings or app.config["GALLERY_SETTINGS"],
        derivatives=derivatives or Derivatives(app),
        idempotency=idempotency,
    )


def photo_rows() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count(Photo.id))) or 0)


def leftovers(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("upload-*"))


def test_new_bytes_are_stored_committed_and_handed_to_the_renderer_after_the_transaction(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    assert not has_request_context()
    album = make_album()
    work = Derivatives(app)
    data = jpeg((200, 10, 10), caption="Opening keynote")
    receipt = upload(app, data, tmp_path, album=album, user=users["photographer"], derivatives=work)

    assert (receipt.created, receipt.status_code, receipt.requeued, receipt.may_show) == (True, 201, False, True)
    photo = receipt.photo
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.original_filename == "IMG_0001.JPG"
    assert photo.status == PhotoStatus.ready  # read after the in-process rendering
    assert work.photo_ids == [photo.id] and work.open_transaction == [False]
    assert storage(app).stat(photo.original_key).size == len(data)
    assert leftovers(tmp_path) == []
    assert photo_rows() == 1


def test_the_same_bytes_again_are_the_same_photo_with_200_and_no_new_work(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    album = make_album()
    data = jpeg((10, 200, 10))
    first = upload(app, data, tmp_path, album=album, user=users["photographer"])
    work = Derivatives(app)
    again = upload(app, data, tmp_path, album=album, user=users["editor"], derivatives=work)
    assert (again.created, again.status_code, again.requeued) == (False, 200, False)
    assert again.photo.id == first.photo.id and again.may_show
    assert work.photo_ids == []
    assert leftovers(tmp_path) == [] and photo_rows() == 1


def test_deleted_bytes_stay_deleted_409(app: Flask, users: dict[str, User], tmp_path: Path) -> None:
    album = make_album()
    data = jpeg((10, 10, 200))
    photo_id = upload(app, data, tmp_path, album=album, user=users["editor"]).photo.id
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    photo.deleted_at = datetime.now(UTC)
    db.session.commit()

    work = Derivatives(app)
    with pytest.raises(PhotoDeleted) as info:
        upload(app, data, tmp_path, album=album, user=users["photographer"], derivatives=work)
    assert info.value.status == 409 and info.value.code == "deleted"
    assert "'ecc-photos'" in info.value.message and "bin" in info.value.message
    assert not db.session().in_transaction()  # ended: the caller may go on with the next file
    assert work.photo_ids == [] and leftovers(tmp_path) == []
    assert photo_rows() == 1
    still = db.session.get(Photo, photo_id)
    assert still is not None and still.deleted_at is not None


def test_a_photo_stuck_in_processing_is_handed_to_the_renderer_again(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    album = make_album()
    data = jpeg((120, 120, 0))
    lost = Derivatives(app, render=False)  # the work was lost: a killed process
    first = upload(app, data, tmp_path, album=album, user=users["photographer"], derivatives=lost)
    assert first.photo.status == PhotoStatus.processing and lost.photo_ids == [first.photo.id]
    photo_id = first.photo.id
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    photo.processing_since = long_ago
    db.session.commit()

    work = Derivatives(app)
    again = upload(app, data, tmp_path, album=album, user=users["photographer"], derivatives=work)
    assert (again.created, again.status_code, again.requeued) == (False, 200, True)
    assert work.photo_ids == [photo_id] and work.open_transaction == [False]
    assert again.photo.status == PhotoStatus.ready
    assert again.photo.processing_since is not None and again.photo.processing_since > long_ago
    assert photo_rows() == 1


def test_an_empty_file_is_400_and_leaves_nothing(app: Flask, users: dict[str, User], tmp_path: Path) -> None:
    album = make_album()
    work = Derivatives(app)
    with pytest.raises(EmptyFile) as info:
        upload(app, b"", tmp_path, album=album, user=users["photographer"], derivatives=work)
    assert (info.value.status, info.value.code, info.value.message) == (400, "empty_file", "the file is empty")
    assert work.photo_ids == [] and leftovers(tmp_path) == [] and photo_rows() == 0


def test_a_file_over_the_upload_limit_is_413_and_leaves_nothing(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    album = make_album()
    settings = dataclasses.replace(app.config["GALLERY_SETTINGS"], max_upload_mb=1)
    data = jpeg((1, 2, 3)) + b"\0" * (1024 * 1024)  # the received file was not limited by its spool
    with pytest.raises(PayloadTooLarge) as info:
        upload(app, data, tmp_path, album=album, user=users["photographer"], settings=settings)
    assert info.value.status == 413
    assert info.value.message == "the file is larger than the upload limit of 1 MB"
    assert leftovers(tmp_path) == [] and photo_rows() == 0
    assert list(storage(app).list("")) == []


def test_someone_elses_photo_the_uploader_may_not_see_is_answered_with_id_sha_status_only(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    private = make_album("board-meeting", visibility="private")
    data = jpeg((5, 6, 7), caption="Minister X, off the record")
    mine = upload(app, data, tmp_path, album=private, user=users["editor"])
    assert mine.may_show

    theirs = upload(app, data, tmp_path, album=private, user=users["photographer"])
    assert theirs.status_code == 200 and theirs.photo.id == mine.photo.id
    assert not theirs.may_show
    assert theirs.restricted_answer() == {"id": mine.photo.id, "sha256": mine.photo.sha256, "status": "ready"}

    # their own photo in a private album is theirs to see
    own = upload(app, jpeg((8, 8, 8)), tmp_path, album=private, user=users["photographer"])
    assert own.may_show
    assert upload(app, jpeg((8, 8, 8)), tmp_path, album=private, user=users["photographer"]).may_show


def test_an_idempotency_key_repeats_the_first_answer_and_refuses_other_bytes(
    app: Flask, users: dict[str, User], tmp_path: Path
) -> None:
    album = make_album()
    user = users["photographer"]
    key = IdempotencyKeyUse(user_id=user.id, key="retry-1")
    data = jpeg((30, 60, 90))
    first = upload(app, data, tmp_path, album=album, user=user, idempotency=key)
    assert first.status_code == 201
    db.session.rollback()
    entry = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "retry-1"))
    assert entry is not None and (entry.photo_id, entry.status_code) == (first.photo.id, 201)

    work = Derivatives(app)
    replayed = upload(app, data, tmp_path, album=album, user=user, idempotency=key, derivatives=work)
    assert (replayed.status_code, replayed.photo.id, replayed.may_show) == (201, first.photo.id, True)
    assert work.photo_ids == [] and leftovers(tmp_path) == []

    with pytest.raises(ValidationError, match="already used for a different upload"):
        upload(app, jpeg((31, 60, 90)), tmp_path, album=album, user=user, idempotency=key)
    assert leftovers(tmp_path) == [] and photo_rows() == 1


def test_an_idempotency_key_over_255_characters_is_refused() -> None:
    assert IdempotencyKeyUse(user_id=1, key="k" * 255).key == "k" * 255
    with pytest.raises(ValidationError) as info:
        IdempotencyKeyUse(user_id=1, key="k" * 256)
    assert info.value.field == "Idempotency-Key" and info.value.status == 422
