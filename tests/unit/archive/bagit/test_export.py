"""export_album: the bag's files, capture order whatever the album's order, the instance facts
kept out of the payload, and no partial file (the end-to-end round trip is tests/archive/test_bagit.py)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.archive.bagit import export
from gallery.archive.bagit import format as fmt
from gallery.core.errors import ConflictError, GalleryError, NotFoundError
from gallery.extensions import db
from gallery.models import Album, Photo, SortMode
from tests.archive.conftest import add_photo, dated_exif, jpeg, storage_of

WHEN = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


def _fill(client: FlaskClient, token: str, album: Album) -> dict[str, int]:
    ids = {
        "late": add_photo(client, token, album.slug, jpeg(1, exif=dated_exif("2024:05:08 10:00:00")), "late.jpg"),
        "undated-1": add_photo(client, token, album.slug, jpeg(2), "undated one.jpg"),
        "early": add_photo(client, token, album.slug, jpeg(3, exif=dated_exif("2024:05:07 09:00:00")), "early.jpg"),
        "undated-2": add_photo(client, token, album.slug, jpeg(4), "фото.jpg"),
        "deleted": add_photo(client, token, album.slug, jpeg(5), "deleted.jpg"),
    }
    db.session.get(Photo, ids["deleted"]).deleted_at = WHEN
    # A manual order that differs from capture order: the bag keeps capture order anyway.
    for position, key in enumerate(("undated-2", "late", "undated-1", "early")):
        db.session.get(Photo, ids[key]).position = position
    album = db.session.get(Album, album.id)
    album.sort_mode = SortMode.manual
    album.cover_photo_id = ids["early"]
    db.session.commit()
    return ids


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "out"  # tmp_path also holds the app's instance
    folder.mkdir()
    return folder


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_the_bag_holds_payload_manifests_and_tag_files(
    app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album, tmp_path: Path
) -> None:
    ids = _fill(client, tokens["editor"], album)
    folder = _folder(tmp_path)
    out = folder / "album.zip"
    result = export.export_album(
        db.session,
        storage_of(app),
        album=db.session.get(Album, album.id),
        out=out,
        organization="ECC Secretariat",
        software="Gallery test",
        now=WHEN,
    )
    root = f"{album.slug}/"
    members = _members(out)
    assert sorted(members) == sorted(
        root + name
        for name in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "tagmanifest-sha256.txt",
            "gallery-instance.json",
            "data/metadata.json",
            "data/originals/0001-early.jpg",
            "data/originals/0002-late.jpg",
            "data/originals/0003-undated-one.jpg",
            "data/originals/0004-photo.jpg",
        ]
    )
    assert result.photos == 4 and result.path == out
    payload = {name[len(root) :]: data for name, data in members.items() if name.startswith(root + "data/")}
    assert result.payload_bytes == sum(len(d) for d in payload.values())
    assert result.manifest == {name: hashlib.sha256(d).hexdigest() for name, d in payload.items()}
    manifest = fmt.parse_manifest(members[root + "manifest-sha256.txt"].decode(), "manifest", "sha256")
    assert manifest == result.manifest
    tags = fmt.parse_manifest(members[root + "tagmanifest-sha256.txt"].decode(), "tagmanifest", "sha256")
    assert sorted(tags) == ["bag-info.txt", "bagit.txt", "gallery-instance.json", "manifest-sha256.txt"]
    assert all(hashlib.sha256(members[root + name]).hexdigest() == sha for name, sha in tags.items())

    info = fmt.parse_tag_file(members[root + "bag-info.txt"].decode(), "bag-info.txt")
    assert info["Source-Organization"] == ["ECC Secretariat"] and info["Bagging-Date"] == ["2024-06-01"]
    assert info["Payload-Oxum"] == [f"{result.payload_bytes}.5"]
    assert info["External-Identifier"] == [f"gallery-album:{album.slug}"]
    assert "4 original(s)" in info["External-Description"][0] and "never publish it" in info["External-Description"][0]
    assert info["Bag-Software-Agent"] == ["Gallery test"]

    metadata = json.loads(members[root + "data/metadata.json"])
    # Capture order (dated by time, undated after them by upload), not the album's manual order.
    assert [p["original_filename"] for p in metadata["photos"]] == [
        "early.jpg",
        "late.jpg",
        "undated one.jpg",
        "фото.jpg",
    ]
    assert [p["position"] for p in metadata["photos"]] == [3, 1, 2, 0]  # the manual order travels as data
    assert metadata["album"]["sort_mode"] == "manual" and metadata["album"]["cover"] == "originals/0001-early.jpg"
    instance = json.loads(members[root + "gallery-instance.json"])
    assert instance["exported_at"] == "2024-06-01T12:30:00Z" and instance["software"] == "Gallery test"
    assert instance["photos"]["originals/0001-early.jpg"]["id"] == ids["early"]
    assert not any(name.startswith(root + ".") or "partial" in name for name in members)
    assert sorted(p.name for p in folder.iterdir()) == ["album.zip"]


def test_the_payload_does_not_depend_on_the_time_or_the_run(
    app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album, tmp_path: Path
) -> None:
    _fill(client, tokens["editor"], album)
    one = export.export_album(
        db.session, storage_of(app), album=db.session.get(Album, album.id), out=tmp_path / "1.zip", now=WHEN
    )
    two = export.export_album(
        db.session, storage_of(app), album=db.session.get(Album, album.id), out=tmp_path / "2.zip"
    )
    assert one.manifest == two.manifest


def test_refusals_leave_nothing_behind(
    app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album, tmp_path: Path
) -> None:
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(1))
    storage = storage_of(app)
    folder = _folder(tmp_path)
    out = folder / "album.zip"
    out.write_bytes(b"keep me")
    with pytest.raises(ConflictError, match="--overwrite"):
        export.export_album(db.session, storage, album=db.session.get(Album, album.id), out=out)
    with pytest.raises(NotFoundError, match="does not exist"):
        export.export_album(db.session, storage, album=db.session.get(Album, album.id), out=folder / "no" / "a.zip")
    key = db.session.get(Photo, photo_id).original_key
    storage.delete(key)
    with pytest.raises(GalleryError, match="is missing from storage") as caught:
        export.export_album(db.session, storage, album=db.session.get(Album, album.id), out=out, overwrite=True)
    assert caught.value.code == "original_missing"
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in folder.iterdir()) == ["album.zip"]
