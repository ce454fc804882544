"""Export -> import keeps a photo's consent state: a blurred photo comes back blurred (every web
size rendered from the original with its boxes), a hidden one hidden with its reason and time; a
bag written before these fields existed still imports (not hidden, not blurred)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from gallery.consent.hiding import hide_photos
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, HiddenReason, Photo, PhotoStatus, Role
from tests.archive.conftest import add_photo, cli, jpeg, make_album, storage_of
from tests.archive.test_bagit import SLUG, _consistent, _members, _with_metadata, _zip
from tests.conftest import make_token, make_user

BOX = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}


def _largest(app, photo: Photo) -> Image.Image:
    biggest = max(photo.derivatives, key=lambda d: (d.format == "jpeg", d.width))
    with storage_of(app).open(biggest.key) as stream:
        return Image.open(io.BytesIO(stream.read())).convert("RGB")


def _detail(image: Image.Image) -> float:
    """How much the middle of the image varies (a blurred box has next to none)."""
    w, h = image.size
    middle = image.crop((w * 3 // 8, h * 3 // 8, w * 5 // 8, h * 5 // 8)).convert("L")
    pixels = list(middle.tobytes())
    mean = sum(pixels) / len(pixels)
    return sum((p - mean) ** 2 for p in pixels) / len(pixels)


def _restored(app, slug: str) -> dict[str, Photo]:
    album = db.session.scalar(select(Album).where(Album.slug == slug))
    photos = db.session.scalars(select(Photo).where(Photo.album_id == album.id)).all()
    return {p.original_filename: p for p in photos}


def test_blurred_and_hidden_photos_round_trip(make_instance, tmp_path: Path) -> None:
    source = make_instance()
    with source.app_context():
        client = source.test_client()
        token = make_token(make_user(Role.editor))
        make_album(SLUG)
        blurred_id = add_photo(client, token, SLUG, jpeg(11, (480, 360)), "blurred.jpg")
        hidden_id = add_photo(client, token, SLUG, jpeg(12, (480, 360)), "hidden.jpg")
        plain_id = add_photo(client, token, SLUG, jpeg(13, (480, 360)), "plain.jpg")
        response = client.post(
            f"/api/v1/photos/{blurred_id}/blur", json={"boxes": [BOX]}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.get_json()
        hide_photos(
            db.session,
            [db.session.get(Photo, hidden_id)],
            reason=HiddenReason.takedown,
            actor=SYSTEM,
            storage=storage_of(source),
        )
        db.session.commit()
        hidden_at = db.session.get(Photo, hidden_id).hidden_at
        assert _detail(_largest(source, db.session.get(Photo, blurred_id))) < 1.0  # blurred at the source
        assert _detail(_largest(source, db.session.get(Photo, plain_id))) > 10.0  # the test image has detail
        assert cli(source, "export", SLUG, str(tmp_path / "one.zip")).exit_code == 0
    metadata = json.loads(_members(tmp_path / "one.zip")[f"{SLUG}/data/metadata.json"])
    by_name = {p["original_filename"]: p for p in metadata["photos"]}
    assert by_name["blurred.jpg"]["blur_boxes"] == [BOX] and by_name["blurred.jpg"]["hidden_reason"] is None
    assert by_name["hidden.jpg"]["hidden_reason"] == "takedown" and by_name["hidden.jpg"]["hidden_at"]
    assert by_name["plain.jpg"]["blur_boxes"] is None and by_name["plain.jpg"]["hidden_reason"] is None

    target = make_instance()
    with target.app_context():
        result = cli(target, "import-bag", str(tmp_path / "one.zip"))
        assert result.exit_code == 0, result.output
        restored = _restored(target, SLUG)
        assert {p.status for p in restored.values()} == {PhotoStatus.ready}
        blurred, hidden, plain = restored["blurred.jpg"], restored["hidden.jpg"], restored["plain.jpg"]
        assert blurred.blur_boxes == [BOX] and blurred.hidden_reason is None
        assert _detail(_largest(target, blurred)) < 1.0  # rendered blurred from the original
        assert _detail(_largest(target, plain)) > 10.0
        assert (hidden.hidden_reason, hidden.hidden_at) == (HiddenReason.takedown, hidden_at)
        assert plain.hidden_reason is None and plain.blur_boxes is None
        visitor = target.test_client()
        assert visitor.get(f"/albums/{SLUG}/photos/{hidden.id}").status_code in (404, 410)  # as at the source
        assert visitor.get(f"/albums/{SLUG}/photos/{plain.id}").status_code == 200
        # ... and exported again, the same metadata.json.
        assert cli(target, "export", SLUG, str(tmp_path / "two.zip")).exit_code == 0
    again = _members(tmp_path / "two.zip")[f"{SLUG}/data/metadata.json"]
    assert json.loads(again) == metadata


def test_a_bag_without_the_consent_fields_still_imports(make_instance, tmp_path: Path) -> None:
    source = make_instance()
    with source.app_context():
        token = make_token(make_user(Role.editor))
        make_album(SLUG)
        add_photo(source.test_client(), token, SLUG, jpeg(21), "old.jpg")
        assert cli(source, "export", SLUG, str(tmp_path / "new.zip")).exit_code == 0

    def written_before_the_fields(metadata: dict) -> None:
        for entry in metadata["photos"]:
            for name in ("hidden_reason", "hidden_at", "blur_boxes"):
                del entry[name]

    files = _consistent(_with_metadata(_members(tmp_path / "new.zip"), written_before_the_fields))
    assert b"blur_boxes" not in files[f"{SLUG}/data/metadata.json"]
    (tmp_path / "old.zip").write_bytes(_zip(files))
    target = make_instance()
    with target.app_context():
        result = cli(target, "import-bag", str(tmp_path / "old.zip"))
        assert result.exit_code == 0, result.output
        photo = _restored(target, SLUG)["old.jpg"]
        assert photo.status is PhotoStatus.ready
        assert photo.hidden_reason is None and photo.hidden_at is None and photo.blur_boxes is None


def test_a_bag_with_bad_boxes_is_refused_and_nothing_is_written(make_instance, tmp_path: Path) -> None:
    source = make_instance()
    with source.app_context():
        token = make_token(make_user(Role.editor))
        make_album(SLUG)
        add_photo(source.test_client(), token, SLUG, jpeg(31), "a.jpg")
        assert cli(source, "export", SLUG, str(tmp_path / "good.zip")).exit_code == 0

    def outside(metadata: dict) -> None:
        metadata["photos"][0]["blur_boxes"] = [{"x": 0.8, "y": 0.0, "w": 0.5, "h": 0.5}]

    (tmp_path / "bad.zip").write_bytes(_zip(_consistent(_with_metadata(_members(tmp_path / "good.zip"), outside))))
    target = make_instance()
    with target.app_context():
        result = cli(target, "import-bag", str(tmp_path / "bad.zip"))
        assert result.exit_code == 1
        assert "photos[0].blur_boxes box 1 must lie inside the photo" in result.output
        assert db.session.scalar(select(Album).where(Album.slug == SLUG)) is None
        assert not list(storage_of(target).list("originals/"))
