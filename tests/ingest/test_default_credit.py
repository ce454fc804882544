"""Credit by default (issue 12, item 6): an upload without an embedded credit gets the uploader's default
credit (their profile's, else their name) through the one upload path: the API, the upload page's path
and `gallery import --as`; an embedded credit or a sidecar's wins; the web sizes carry it."""

from __future__ import annotations

import io
from pathlib import Path

import exifread
from flask import Flask
from PIL import Image

from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, User
from tests.archive.conftest import dated_exif, jpeg, make_album, upload


def photo(photo_id: int) -> Photo:
    db.session.rollback()
    found = db.session.get(Photo, photo_id)
    assert found is not None
    return found


def test_api_uploads_get_the_default_credit(app: Flask, client, tokens, users: dict[str, User]) -> None:
    album = make_album()
    photographer = users["photographer"]
    photographer.name = "Zofia Żak"
    db.session.commit()
    by_name = upload(client, tokens["photographer"], album.slug, jpeg(1)).get_json()
    assert by_name["credit"] == "Zofia Żak"  # no default credit set: the name

    photographer = db.session.get(User, photographer.id)
    photographer.default_credit = "Zofia Żak / Agencja Foto"  # type: ignore[union-attr]
    db.session.commit()
    chosen = upload(client, tokens["photographer"], album.slug, jpeg(2)).get_json()
    assert chosen["credit"] == "Zofia Żak / Agencja Foto"
    stored = photo(chosen["id"])
    largest = max((d for d in stored.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    with context.storage(app).open(largest.key) as handle:
        tags = exifread.process_file(io.BytesIO(handle.read()), details=False)
    assert "Zofia" in str(tags.get("Image Artist", ""))  # the web sizes carry the credit

    embedded = io.BytesIO()
    Image.new("RGB", (320, 240), (9, 9, 9)).save(
        embedded, "JPEG", exif=dated_exif("2024:05:07 10:00:00", artist="Jan Nowak")
    )
    own = upload(client, tokens["photographer"], album.slug, embedded.getvalue()).get_json()
    assert own["credit"] == "Jan Nowak"  # the file's own credit wins


def test_nobody_to_credit_leaves_it_empty(app: Flask, client, tokens, users: dict[str, User]) -> None:
    album = make_album()
    users["editor"].name = ""
    db.session.commit()
    assert upload(client, tokens["editor"], album.slug, jpeg(3)).get_json()["credit"] == ""


def test_gallery_import_as_a_user(app: Flask, users: dict[str, User], tmp_path: Path) -> None:
    album = make_album()
    users["photographer"].default_credit = "Studio Północ"
    db.session.commit()
    card = tmp_path / "card"
    card.mkdir()
    (card / "IMG_1.jpg").write_bytes(jpeg(4))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["gallery", "import", str(card), "--album", album.slug, "--as", users["photographer"].email]
    )
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.query(Photo).one().credit == "Studio Północ"
    (card / "IMG_2.jpg").write_bytes(jpeg(5))
    anonymous = runner.invoke(args=["gallery", "import", str(card / "IMG_2.jpg"), "--album", album.slug])
    assert anonymous.exit_code == 0, anonymous.output
    db.session.rollback()
    assert {p.credit for p in db.session.query(Photo)} == {"Studio Północ", ""}  # no user: no default
