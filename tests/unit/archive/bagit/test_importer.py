"""validate_bag and import_bag: bags from `gallery export` and from other BagIt tools, refusals
that name the problem, and a restore that writes rows only once everything is checked (the CLI
and the hostile cases are in tests/archive/test_bagit.py and tests/archive/test_bag_limits.py)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gallery.archive.bagit import export, importer
from gallery.archive.bagit import format as fmt
from gallery.archive.bagit.format import InvalidBag
from gallery.archive.bagit.limits import PhotoLimits
from gallery.archive.bagit.schema import PHOTO, load
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, Photo, PhotoStatus
from tests.archive.conftest import (
    add_photo,
    dated_exif,
    jpeg,
    make_album,
    storage_of,
    stored_keys,
)
from tests.archive.test_bag_limits import photo_entry

LIMITS = PhotoLimits(max_pixels=10_000_000, max_bytes=10 << 20)


def _entry(path: str, data: bytes, **changes: Any) -> dict[str, Any]:
    """A complete metadata.json photo entry for ``data`` (as another BagIt tool might write it)."""
    entry: dict[str, Any] = photo_entry(path, hashlib.sha256(data).hexdigest(), len(data))
    entry["caption"] = "From another tool"
    entry.update(changes)
    return entry


def _write_bag(
    out: Path,
    originals: dict[str, bytes],
    *,
    root: str = "",
    algorithms: tuple[str, ...] = ("sha256",),
    extra_payload: dict[str, bytes] | None = None,
    version: str = "1.0",
    newline: str = "\n",
    tamper: dict[str, str] | None = None,
) -> Path:
    """A bag as another BagIt tool could write it (not `gallery export`)."""
    metadata = {
        "format": fmt.BAG_FORMAT,
        "format_version": fmt.BAG_FORMAT_VERSION,
        "event": {
            "slug": "other-tool-2024",
            "title": "Other tool",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Warsaw",
            "location": "",
            "description": "",
        },
        "album": {
            "slug": "other-tool",
            "title": "Other tool",
            "description": "",
            "visibility": "unlisted",
            "sort_mode": "capture_time",
            "original_downloads": "off",
            "cover": f"originals/{next(iter(originals))}",
        },
        "photos": [_entry(f"originals/{name}", data) for name, data in originals.items()],
    }
    payload = {f"data/originals/{name}": data for name, data in originals.items()}
    payload["data/metadata.json"] = json.dumps(metadata).encode()
    payload.update(extra_payload or {})
    files = {"bagit.txt": f"BagIt-Version: {version}{newline}Tag-File-Character-Encoding: UTF-8{newline}".encode()}
    for alg in algorithms:
        sums = {path: hashlib.new(alg, data).hexdigest() for path, data in payload.items()}
        sums.update({p: v for p, v in (tamper or {}).items() if alg == "sha512"})
        files[f"manifest-{alg}.txt"] = fmt.manifest(sums).replace(b"\n", newline.encode())
    oxum = f"{sum(len(d) for d in payload.values())}.{len(payload)}"
    files["bag-info.txt"] = f"Source-Organization: Elsewhere{newline}Payload-Oxum: {oxum}{newline}".encode()
    tags = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files["tagmanifest-sha256.txt"] = fmt.manifest(tags)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**files, **payload}.items():
            zf.writestr(root + name, data)
    return out


@pytest.fixture
def exported(app: Flask, client: FlaskClient, tokens: dict[str, str], album: Album, tmp_path: Path) -> Path:
    token = tokens["editor"]
    add_photo(client, token, album.slug, jpeg(1, exif=dated_exif("2024:05:07 09:00:00", caption="Opening")), "a.jpg")
    cover = add_photo(client, token, album.slug, jpeg(2), "b.jpg")
    db.session.get(Album, album.id).cover_photo_id = cover
    db.session.commit()
    out = tmp_path / "exported.zip"
    export.export_album(db.session, storage_of(app), album=db.session.get(Album, album.id), out=out)
    return out


def test_an_exported_bag_validates(app: Flask, exported: Path, album: Album) -> None:
    progress: list[int] = []
    bag = importer.validate_bag(exported, limits=LIMITS, on_file=progress.append)
    assert bag.root == f"{album.slug}/" and bag.path == exported
    assert [p.entry["original_filename"] for p in bag.photos] == ["a.jpg", "b.jpg"]
    assert [p.member for p in bag.photos] == [
        f"{album.slug}/data/originals/0001-a.jpg",
        f"{album.slug}/data/originals/0002-b.jpg",
    ]
    assert progress == [1, 1, 1] and bag.warnings == []
    assert bag.info["Source-Organization"] == ["Gallery"]


def test_import_restores_rows_under_another_slug_and_reuses_stored_originals(
    app: Flask, exported: Path, album: Album
) -> None:
    originals_before = stored_keys(app, "originals/")
    bag = importer.validate_bag(exported, limits=LIMITS)
    result = importer.import_bag(db.session, storage_of(app), bag, album_slug="restored")
    assert result.album.slug == "restored" and result.event.id == album.event_id and not result.event_created
    assert result.stored_objects == 0  # content-addressed: the originals are there already
    assert stored_keys(app, "originals/") == originals_before
    db.session.rollback()
    restored = db.session.scalars(select(Photo).where(Photo.id.in_(result.photo_ids)).order_by(Photo.id)).all()
    assert [p.status for p in restored] == [PhotoStatus.processing] * 2  # derivatives are the caller's next step
    for photo, item in zip(restored, bag.photos, strict=True):
        assert all(getattr(photo, name) == value for name, value in load(PHOTO, item.entry).items())
    assert db.session.get(Album, result.album.id).cover_photo_id == restored[1].id
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "album.import")).one()
    expected = {"bag": "exported.zip", "photos": 2, "event": album.event.slug, "event_created": False}
    assert audit.details.items() >= expected.items()


def test_refusals_before_anything_is_written(app: Flask, exported: Path, album: Album, tmp_path: Path) -> None:
    bag = importer.validate_bag(exported, limits=LIMITS)
    before = stored_keys(app)
    with pytest.raises(ConflictError, match=f"an album '{album.slug}' already exists"):
        importer.import_bag(db.session, storage_of(app), bag)
    with pytest.raises(ValidationError, match=r"the bag's event or album cannot be created: .*slug"):
        importer.import_bag(db.session, storage_of(app), bag, album_slug="Not A Slug")
    assert stored_keys(app) == before
    assert db.session.scalar(select(func.count(Album.id))) == 1
    with pytest.raises(NotFoundError):
        importer.validate_bag(tmp_path / "missing.zip", limits=LIMITS)
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InvalidBag, match=r"not.zip is not a readable ZIP file"):
        importer.validate_bag(tmp_path / "not.zip", limits=LIMITS)


def test_a_bag_from_another_tool_imports(app: Flask, tmp_path: Path) -> None:
    """At the top of the ZIP, BagIt 0.97, CRLF lines, sha256 and sha512 manifests, odd file
    names, and a payload file metadata.json does not list (a warning, not imported)."""
    originals = {"zdjęcie 1 (100%).jpg": jpeg(10), "b\u2028line.jpg": jpeg(11)}
    bag_path = _write_bag(
        tmp_path / "other.zip",
        originals,
        algorithms=("sha256", "sha512"),
        version="0.97",
        newline="\r\n",
        extra_payload={"data/readme.txt": b"made elsewhere"},
    )
    bag = importer.validate_bag(bag_path, limits=LIMITS)
    assert bag.root == "" and len(bag.photos) == 2
    assert bag.warnings == ["data/readme.txt is in the bag but not in metadata.json; it is not imported"]
    result = importer.import_bag(db.session, storage_of(app), bag)
    assert result.event_created and result.event.slug == "other-tool-2024" and result.stored_objects == 2
    assert db.session.get(Album, result.album.id).cover_photo_id == result.photo_ids[0]
    assert db.session.scalar(select(func.count(Event.id))) == 1


def test_every_manifest_is_checked(app: Flask, tmp_path: Path) -> None:
    bag_path = _write_bag(
        tmp_path / "sha512.zip",
        {"a.jpg": jpeg(12)},
        algorithms=("sha256", "sha512"),
        tamper={"data/originals/a.jpg": "0" * 128},
    )
    with pytest.raises(InvalidBag, match=r"checksum mismatch: data/originals/a.jpg \(sha512\)"):
        importer.validate_bag(bag_path, limits=LIMITS)


def test_a_bag_inside_more_than_one_folder_is_refused(app: Flask, tmp_path: Path) -> None:
    path = _write_bag(tmp_path / "nested.zip", {"a.jpg": jpeg(13)}, root="outer/")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("second/notes.txt", b"x")
    with pytest.raises(InvalidBag, match=r"no bagit.txt"):
        importer.validate_bag(path, limits=LIMITS)


def test_a_second_import_of_the_same_bag_into_a_new_instance_stores_nothing_twice(app: Flask, tmp_path: Path) -> None:
    make_album("existing", event_slug="other-tool-2024")
    bag_path = _write_bag(tmp_path / "other.zip", {"a.jpg": jpeg(14)})
    bag = importer.validate_bag(bag_path, limits=LIMITS)
    first = importer.import_bag(db.session, storage_of(app), bag)
    second = importer.import_bag(db.session, storage_of(app), bag, album_slug="copy")
    assert not first.event_created and first.event.slug == "other-tool-2024"
    assert (first.stored_objects, second.stored_objects) == (1, 0)
    assert len(stored_keys(app, "originals/")) == 1
