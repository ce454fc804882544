"""Which stored objects rows refer to: the untracked objects verify lists and gc deletes."""

from __future__ import annotations

import hashlib
import io

from flask import Flask
from flask.testing import FlaskClient

from gallery.archive import references
from gallery.extensions import db
from gallery.models import Album, Photo
from tests.archive.conftest import add_photo, jpeg, storage_of


def _put(app: Flask, key: str, data: bytes) -> None:
    storage_of(app).put(key, io.BytesIO(data), sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg")


def test_keys_rows_refer_to(app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    photo = db.session.get(Photo, add_photo(client, tokens["editor"], album.slug, jpeg(1)))
    derivative_keys = {d.key for d in photo.derivatives}
    assert derivative_keys
    assert references.referenced_keys(db.session, "originals/") == {photo.original_key}
    assert references.referenced_keys(db.session, "derivatives/") == derivative_keys
    assert references.referenced_keys(db.session, "originals/sha256/zz/") == set()
    assert references.is_referenced(db.session, photo.original_key)
    assert all(references.is_referenced(db.session, key) for key in derivative_keys)
    assert not references.is_referenced(db.session, "originals/sha256/00/00/" + "0" * 64)


def test_untracked_objects_are_those_under_our_prefixes_without_a_row(
    app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album
) -> None:
    add_photo(client, tokens["editor"], album.slug, jpeg(1))
    stray = jpeg(2)
    sha = hashlib.sha256(stray).hexdigest()
    orphan = f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    _put(app, orphan, stray)
    _put(app, f"derivatives/{sha}/400.jpg", b"old")
    _put(app, "elsewhere/notes.txt", b"not ours")
    found = references.find_untracked(db.session, storage_of(app))
    assert sorted(obj.key for obj in found) == [f"derivatives/{sha}/400.jpg", orphan]
    assert not db.session().in_transaction()  # no snapshot held after the listing
