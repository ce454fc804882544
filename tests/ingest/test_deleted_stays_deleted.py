"""A deleted photo stays deleted: uploading the same bytes again (API, upload page, or a re-run
of an interrupted ``gallery import``) does not bring it back.  The bin restores; once the bin
is purged (``gallery gc``), the bytes are new again."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import AuditLog, Photo
from tests.conftest import csrf_from, login
from tests.ingest.conftest import upload


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, "JPEG")
    return out.getvalue()


def _delete(client, token: str, photo_id: int) -> None:
    response = client.delete(f"/api/v1/photos/{photo_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204


def _state(photo_id: int) -> tuple[bool, int, list[str]]:
    """(still deleted?, number of photo rows, audit actions on the photo)."""
    db.session.rollback()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    actions = list(
        db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(photo_id)).order_by(AuditLog.id))
    )
    count = int(db.session.scalar(select(func.count(Photo.id))) or 0)
    db.session.rollback()
    return photo.deleted_at is not None, count, actions


def test_api_reupload_of_a_deleted_photo_is_409_and_it_stays_deleted(app, client, tokens, album):
    data = jpeg((10, 20, 30))
    created = upload(client, tokens["editor"], album.slug, data)
    assert created.status_code == 201
    photo_id = created.get_json()["id"]
    _delete(client, tokens["editor"], photo_id)

    for role in ("photographer", "editor", "admin"):
        again = upload(client, tokens[role], album.slug, data, filename="again.jpg")
        assert again.status_code == 409, (role, again.get_data(as_text=True))
        error = again.get_json()["error"]
        assert error["code"] == "deleted"
        assert "editor" in error["message"] and "bin" in error["message"]
    # An Idempotency-Key does not bring it back either.
    keyed = upload(client, tokens["photographer"], album.slug, data, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 409

    deleted, count, actions = _state(photo_id)
    assert deleted and count == 1
    assert "photo.restore" not in actions
    assert client.get(f"/api/v1/photos/{photo_id}").status_code == 404
    listed = client.get(f"/api/v1/albums/{album.slug}").get_json()
    assert listed["photos"] == []


def test_after_the_bin_is_purged_the_bytes_are_new_again(app, client, tokens, album):
    data = jpeg((40, 50, 60))
    photo_id = upload(client, tokens["editor"], album.slug, data).get_json()["id"]
    _delete(client, tokens["editor"], photo_id)
    assert upload(client, tokens["photographer"], album.slug, data).status_code == 409
    purged = app.test_cli_runner().invoke(args=["gallery", "gc", "--retention", "0s"])
    assert purged.exit_code == 0 and f"purged photo {photo_id} " in purged.output
    fresh = upload(client, tokens["photographer"], album.slug, data)
    assert fresh.status_code == 201, fresh.get_data(as_text=True)
    assert fresh.get_json()["status"] == "ready"
    db.session.rollback()
    rows = db.session.scalars(select(Photo)).all()
    assert len(rows) == 1 and rows[0].deleted_at is None  # a new row (SQLite may reuse the id)


def test_import_rerun_counts_deleted_photos_and_exits_0(app, client, tokens, album, tmp_path: Path):
    card = tmp_path / "card"
    card.mkdir()
    (card / "IMG_0001.JPG").write_bytes(jpeg((1, 1, 1)))
    (card / "IMG_0002.JPG").write_bytes(jpeg((2, 2, 2)))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gallery", "import", str(card), "--album", album.slug])
    assert first.exit_code == 0 and "added: 2" in first.output
    db.session.rollback()
    gone = db.session.scalar(select(Photo.id).where(Photo.original_filename == "IMG_0002.JPG"))
    _delete(client, tokens["editor"], gone)

    again = runner.invoke(args=["gallery", "import", str(card), "--album", album.slug])
    assert again.exit_code == 0, again.output
    assert "added: 0, already there: 1, rejected: 0" in again.output
    assert "deleted earlier, not restored: 1" in again.output
    assert "IMG_0002.JPG" in again.output
    deleted, count, actions = _state(gone)
    assert deleted and count == 2 and "photo.restore" not in actions


def _upload_page(client, album_slug: str, data: bytes, *, json: bool, lang: str = "en"):
    client.set_cookie("lang", lang)
    token = csrf_from(client.get(f"/manage/albums/{album_slug}/upload").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    if json:
        headers["Accept"] = "application/json"
    return client.post(
        f"/manage/albums/{album_slug}/upload",
        data={"files": (io.BytesIO(data), "znowu.jpg"), "csrf_token": token},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_upload_page_says_deleted_per_file_in_english_and_polish(app, client, users, tokens, album):
    data = jpeg((70, 80, 90))
    photo_id = upload(client, tokens["editor"], album.slug, data).get_json()["id"]
    _delete(client, tokens["editor"], photo_id)
    login(client, users["photographer"].email)

    answer = _upload_page(client, album.slug, data, json=True)
    assert answer.status_code == 409
    result = answer.get_json()["results"][0]
    assert result["outcome"] == "deleted" and result["filename"] == "znowu.jpg"
    assert "editor can restore it from the bin" in result["message"]

    page = _upload_page(client, album.slug, data, json=False).get_data(as_text=True)
    assert 'class="result-deleted"' in page and "editor can restore it from the bin" in page
    assert "deleted earlier, not restored: 1" in page

    polish = _upload_page(client, album.slug, data, json=False, lang="pl").get_data(as_text=True)
    assert "redaktor może je przywrócić z kosza" in polish
    assert "usunięte wcześniej, nieprzywrócone: 1" in polish

    deleted, count, actions = _state(photo_id)
    assert deleted and count == 1 and "photo.restore" not in actions
