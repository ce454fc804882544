"""`gallery export` / `gallery import-bag`: a BagIt bag (RFC 8493) that the Library of Congress
``bagit`` package validates, a bit-exact round trip between instances (local folder → S3), and
invalid bags refused with a clear message and nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import bagit as loc_bagit
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from gallery.demo import SHOTS, render_demo_photo
from gallery.extensions import db
from gallery.models import Album, Event, Photo, PhotoStatus, Role
from tests.archive.conftest import (
    add_photo,
    cli,
    dated_exif,
    jpeg,
    make_album,
    storage_of,
    stored_keys,
)
from tests.conftest import make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env

SLUG = "ecc-report"


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 120), (seed % 256, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _fill_album(app: Flask) -> dict[str, int]:
    """An album with every kind of photo the bag must carry."""
    client = app.test_client()
    token = make_token(make_user(Role.editor))
    make_album(SLUG, event_slug="ecc-2024", tz="Europe/Brussels")
    ids = {
        "gps": add_photo(client, token, SLUG, render_demo_photo(SHOTS[0], 0, long_edge=480), "Zdjęcie 01 (GPS).jpg"),
        "demo": add_photo(client, token, SLUG, render_demo_photo(SHOTS[1], 1, long_edge=480), "ecc2024-02.jpg"),
        "exif": add_photo(
            client,
            token,
            SLUG,
            jpeg(5, exif=dated_exif("2024:05:07 07:15:00", caption="Coffee <b>break</b>", artist="Ana Łęcka")),
            "../../etc/passwd.jpg",
        ),
        "undated": add_photo(client, token, SLUG, jpeg(6), "фото.jpg"),
        "png": add_photo(client, token, SLUG, _png(7), "diagram.png"),
        "deleted": add_photo(client, token, SLUG, jpeg(8), "deleted.jpg"),
    }
    headers = {"Authorization": f"Bearer {token}"}
    patched = client.patch(
        f"/api/v1/photos/{ids['undated']}",
        json={
            "caption": "Panel: «clusters & the twin transition»",
            "alt_text": "Four panellists on a stage",
            "credit": "Jan Kowalski",
            "position": 3,
        },
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert client.delete(f"/api/v1/photos/{ids['deleted']}", headers=headers).status_code == 204
    album = db.session.scalar(select(Album).where(Album.slug == SLUG))
    album.cover_photo_id = ids["demo"]
    db.session.commit()
    return ids


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}


def _export(app: Flask, out: Path, slug: str = SLUG) -> dict[str, bytes]:
    with app.app_context():
        result = cli(app, "export", slug, str(out))
    assert result.exit_code == 0, result.output
    return _members(out)


@pytest.fixture
def s3_instance(make_instance, moto_endpoint, monkeypatch) -> Callable[[], Flask]:
    def factory() -> Flask:
        for name, value in moto_env(moto_endpoint).items():
            monkeypatch.setenv(name, value)
        bucket = make_s3_storage(moto_endpoint).bucket
        return make_instance(GALLERY_STORAGE_URL=f"s3://{bucket}/archive")

    return factory


@pytest.mark.slow
def test_export_is_a_valid_bag_and_round_trips_bit_exact(make_instance, s3_instance, tmp_path):
    source = make_instance()
    with source.app_context():
        ids = _fill_album(source)
        originals = {
            p.sha256: storage_of(source).local_path(p.original_key).read_bytes()
            for p in db.session.scalars(select(Photo).where(Photo.deleted_at.is_(None)))
        }
    one = _export(source, tmp_path / "one.zip")

    # The Library of Congress reference implementation accepts it.
    extracted = tmp_path / "x"
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        zf.extractall(extracted)
    bag = loc_bagit.Bag(str(extracted / SLUG))
    bag.validate()
    assert (
        bag.info["Payload-Oxum"]
        == f"{sum(len(d) for d in originals.values()) + len(one[f'{SLUG}/data/metadata.json'])}.6"
    )
    for name in ("Source-Organization", "Bagging-Date", "External-Description", "External-Identifier"):
        assert bag.info[name]
    assert "GPS" in bag.info["External-Description"]

    metadata = json.loads(one[f"{SLUG}/data/metadata.json"])
    photos = metadata["photos"]
    assert len(photos) == 5  # the deleted photo is not exported
    # Capture order: dated photos by time, undated ones after them in upload order.
    dated = [p["taken_at"] for p in photos if p["taken_at"]]
    assert dated == sorted(dated) and len(dated) == 3
    assert [p["taken_at"] is None for p in photos] == [False, False, False, True, True]
    assert [p["path"] for p in photos] == [
        f"originals/{i:04d}-" + p["path"].split("-", 1)[1] for i, p in enumerate(photos, 1)
    ]
    for entry in photos:
        member = f"{SLUG}/data/{entry['path']}"
        assert one[member] == originals[entry["sha256"]]  # bit-exact, GPS and all
        assert hashlib.sha256(one[member]).hexdigest() == entry["sha256"]
        assert "id" not in entry and "created_at" not in entry and "status" not in entry
    by_name = {p["original_filename"]: p for p in photos}
    gps = by_name["Zdjęcie 01 (GPS).jpg"]
    assert gps["private"]["gps_latitude"] == pytest.approx(50.8411, abs=1e-3)
    assert gps["taken_at_source"] == "exif_original" and gps["taken_at_raw"] and gps["taken_at_offset_minutes"] == 120
    assert gps["caption"] and gps["credit"] and gps["camera"]["make"]
    assert by_name["passwd.jpg"]["caption"] == "Coffee <b>break</b>" and by_name["passwd.jpg"]["path"].endswith(
        "-passwd.jpg"
    )
    undated = by_name["фото.jpg"]
    assert (undated["caption"], undated["alt_text"], undated["credit"], undated["position"]) == (
        "Panel: «clusters & the twin transition»",
        "Four panellists on a stage",
        "Jan Kowalski",
        3,
    )
    assert undated["path"].endswith("-photo.jpg") and undated["taken_at_source"] == "upload"
    assert by_name["diagram.png"]["path"].endswith(".png") and by_name["diagram.png"]["content_type"] == "image/png"
    assert metadata["album"]["cover"] == by_name["ecc2024-02.jpg"]["path"]
    assert metadata["event"] == {
        "slug": "ecc-2024",
        "title": "Archive Days 2024",
        "starts_on": "2024-05-07",
        "ends_on": "2024-05-08",
        "timezone": "Europe/Brussels",
        "location": "Kraków",
        "description": "",
    }
    instance = json.loads(one[f"{SLUG}/gallery-instance.json"])
    assert sorted(v["id"] for v in instance["photos"].values()) == sorted(v for k, v in ids.items() if k != "deleted")

    # Import into another instance on another kind of store (S3), then export again.
    target = s3_instance()
    with target.app_context():
        result = cli(target, "import-bag", str(tmp_path / "one.zip"))
        assert result.exit_code == 0, result.output
        assert "imported 5 photo(s) into album ecc-report of new event ecc-2024" in result.stdout
        restored = db.session.scalars(select(Photo).order_by(Photo.id)).all()
        assert [p.status for p in restored] == [PhotoStatus.ready] * 5
        assert all(p.derivatives for p in restored)
        for photo in restored:
            with storage_of(target).open(photo.original_key) as handle:
                assert handle.read() == originals[photo.sha256]
        restored_gps = next(p for p in restored if p.original_filename == "Zdjęcie 01 (GPS).jpg")
        assert restored_gps.gps_latitude == gps["private"]["gps_latitude"]
        db.session.rollback()
    two = _export(target, tmp_path / "two.zip")

    assert two[f"{SLUG}/manifest-sha256.txt"] == one[f"{SLUG}/manifest-sha256.txt"]
    assert two[f"{SLUG}/data/metadata.json"] == one[f"{SLUG}/data/metadata.json"]
    assert two[f"{SLUG}/bagit.txt"] == one[f"{SLUG}/bagit.txt"]
    # Only the instance-local tag file (ids, times, where it came from) differs.
    differing = sorted(name for name in one if one[name] != two.get(name))
    assert set(differing) <= {f"{SLUG}/gallery-instance.json", f"{SLUG}/tagmanifest-sha256.txt", f"{SLUG}/bag-info.txt"}
    assert f"{SLUG}/gallery-instance.json" in differing


# --- invalid bags ------------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _consistent(files: dict[str, bytes]) -> dict[str, bytes]:
    """Recompute manifests, Payload-Oxum and the tag manifest after a change, so only the
    change itself is wrong."""
    root = f"{SLUG}/"
    payload = {name[len(root) :]: data for name, data in files.items() if name.startswith(root + "data/")}
    files = dict(files)
    files[root + "manifest-sha256.txt"] = "".join(f"{_sha(d)}  {p}\n" for p, d in sorted(payload.items())).encode()
    info = files[root + "bag-info.txt"].decode().splitlines()
    oxum = f"Payload-Oxum: {sum(len(d) for d in payload.values())}.{len(payload)}"
    files[root + "bag-info.txt"] = (
        "\n".join(oxum if line.startswith("Payload-Oxum") else line for line in info) + "\n"
    ).encode()
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "gallery-instance.json"]
    files[root + "tagmanifest-sha256.txt"] = "".join(
        f"{_sha(files[root + t])}  {t}\n" for t in tags if root + t in files
    ).encode()
    return files


def _with_metadata(files: dict[str, bytes], change: Callable[[dict], None]) -> dict[str, bytes]:
    document = json.loads(files[f"{SLUG}/data/metadata.json"])
    change(document)
    return _consistent({**files, f"{SLUG}/data/metadata.json": json.dumps(document).encode()})


def _first_original(files: dict[str, bytes]) -> str:
    return sorted(name for name in files if "/data/originals/" in name)[0]


def _flip(data: bytes) -> bytes:
    return data[:200] + bytes([data[200] ^ 1]) + data[201:]


BAD_BAGS: dict[str, tuple[Callable[[dict[str, bytes]], bytes], str]] = {
    "not a zip": (lambda f: b"PK\x03\x04 this is not really a zip", "is not a readable ZIP file"),
    "no bagit.txt": (lambda f: _zip({k: v for k, v in f.items() if not k.endswith("/bagit.txt")}), "no bagit.txt"),
    "bagit version": (
        lambda f: _zip({**f, f"{SLUG}/bagit.txt": b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n"}),
        "BagIt-Version '2.0' is not supported",
    ),
    "no manifest": (
        lambda f: _zip({k: v for k, v in f.items() if not k.endswith("/manifest-sha256.txt")}),
        "no manifest-sha256.txt",
    ),
    "a flipped bit in an original": (
        lambda f: _zip({**f, _first_original(f): _flip(f[_first_original(f)])}),
        "checksum mismatch: data/originals/0001-",
    ),
    "an original removed": (
        lambda f: _zip({k: v for k, v in f.items() if k != _first_original(f)}),
        "lists file(s) the bag does not contain: data/originals/0001-",
    ),
    "an unlisted payload file": (
        lambda f: _zip({**f, f"{SLUG}/data/originals/extra.jpg": jpeg(77)}),
        "manifest-sha256.txt does not list data/originals/extra.jpg",
    ),
    "a changed tag file": (
        lambda f: _zip({**f, f"{SLUG}/bag-info.txt": f[f"{SLUG}/bag-info.txt"].replace(b"Gallery", b"Mallory", 1)}),
        "checksum mismatch: bag-info.txt",
    ),
    "Payload-Oxum wrong with a consistent tag manifest": (
        lambda f: _zip(_retag(f, lambda info: info.replace(b"Payload-Oxum: ", b"Payload-Oxum: 9"))),
        "Payload-Oxum says",
    ),
    "path traversal member": (lambda f: _zip({**f, "../evil.txt": b"x"}), "unsafe member name '../evil.txt'"),
    "fetch.txt": (lambda f: _zip({**f, f"{SLUG}/fetch.txt": b"http://example.org/x 1 data/x\n"}), "fetch.txt"),
    "metadata of the wrong type": (
        lambda f: _zip(_with_metadata(f, lambda d: d["photos"][0].update(width="wide"))),
        "photos[0].width must be int",
    ),
    "metadata sha256 differs": (
        lambda f: _zip(_with_metadata(f, lambda d: d["photos"][0].update(sha256="0" * 64))),
        "the manifest differs",
    ),
    "metadata not JSON": (
        lambda f: _zip(_consistent({**f, f"{SLUG}/data/metadata.json": b"{not json"})),
        "data/metadata.json is not valid JSON",
    ),
    "a string too long for its column": (
        lambda f: _zip(_with_metadata(f, lambda d: d["photos"][0].update(credit="x" * 5000))),
        "credit is longer than 1000 characters",
    ),
    "an HTML file as an original": (
        lambda f: _zip(_html_original(f)),
        "is not a photo the gallery accepts (detected HTML document)",
    ),
}


def _retag(files: dict[str, bytes], change: Callable[[bytes], bytes]) -> dict[str, bytes]:
    files = _consistent(files)
    files[f"{SLUG}/bag-info.txt"] = change(files[f"{SLUG}/bag-info.txt"])
    root = f"{SLUG}/"
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "gallery-instance.json"]
    files[root + "tagmanifest-sha256.txt"] = "".join(f"{_sha(files[root + t])}  {t}\n" for t in tags).encode()
    return files


def _html_original(files: dict[str, bytes]) -> dict[str, bytes]:
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    name = _first_original(files)
    rel = name[len(f"{SLUG}/data/") :]

    def change(document: dict) -> None:
        entry = next(p for p in document["photos"] if p["path"] == rel)
        entry.update(sha256=_sha(html), size=len(html))

    return _with_metadata({**files, name: html}, change)


@pytest.mark.slow
def test_invalid_bags_are_refused_and_nothing_is_written(make_instance, tmp_path):
    source = make_instance()
    with source.app_context():
        client = source.test_client()
        token = make_token(make_user(Role.editor))
        make_album(SLUG)
        for seed in range(2):
            add_photo(client, token, SLUG, jpeg(seed), f"p{seed}.jpg")
    good = _export(source, tmp_path / "good.zip")
    target = make_instance()
    failures = []
    with target.app_context():
        for case, (mutate, message) in BAD_BAGS.items():
            path = tmp_path / f"bad-{len(failures)}-{abs(hash(case))}.zip"
            path.write_bytes(mutate(good))
            result = cli(target, "import-bag", str(path))
            text = result.output
            if result.exit_code != 1 or message not in text or "nothing was written" not in text:
                failures.append(f"{case}: exit {result.exit_code}: {text.strip()[-300:]}")
            db.session.rollback()
            if db.session.scalar(select(func.count(Album.id))) or db.session.scalar(select(func.count(Event.id))):
                failures.append(f"{case}: rows were written")
            if stored_keys(target):
                failures.append(f"{case}: objects were stored")
        assert failures == []
        # The untouched bag imports fine into the same instance afterwards.
        (tmp_path / "good-again.zip").write_bytes(_zip(good))
        result = cli(target, "import-bag", str(tmp_path / "good-again.zip"))
        assert result.exit_code == 0, result.output


def test_import_conflicts_and_target_event(make_instance, tmp_path):
    source = make_instance()
    with source.app_context():
        token = make_token(make_user(Role.editor))
        make_album(SLUG)
        add_photo(source.test_client(), token, SLUG, jpeg(1))
    _export(source, tmp_path / "bag.zip")
    target = make_instance()
    with target.app_context():
        make_album("existing", event_slug="other-event")
        assert cli(target, "import-bag", str(tmp_path / "bag.zip")).exit_code == 0
        again = cli(target, "import-bag", str(tmp_path / "bag.zip"))
        assert again.exit_code == 1 and f"an album '{SLUG}' already exists" in again.output
        assert "--album-slug" in again.output
        copy = cli(
            target, "import-bag", str(tmp_path / "bag.zip"), "--album-slug", "copy", "--event-slug", "other-event"
        )
        assert copy.exit_code == 0, copy.output
        assert "of existing event other-event" in copy.stdout
        album = db.session.scalar(select(Album).where(Album.slug == "copy"))
        assert album.event.slug == "other-event"
        # The same original in two albums is stored once.
        assert len(stored_keys(target, "originals/")) == 1
        bad_slug = cli(target, "import-bag", str(tmp_path / "bag.zip"), "--album-slug", "Not A Slug")
        assert bad_slug.exit_code == 1 and "is not a valid slug" in bad_slug.output
        assert db.session.scalar(select(func.count(Album.id))) == 3


def test_export_refuses_to_overwrite_and_never_leaves_a_partial_file(app, client, tokens, album, tmp_path):
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(1))
    add_photo(client, tokens["editor"], album.slug, jpeg(2))
    out = tmp_path / "album.zip"
    assert cli(app, "export", album.slug, str(out)).exit_code == 0
    first = out.read_bytes()
    refused = cli(app, "export", album.slug, str(out))
    assert refused.exit_code == 1 and "--overwrite" in refused.output and out.read_bytes() == first
    assert cli(app, "export", album.slug, str(out), "--overwrite").exit_code == 0

    # A corrupted original stops the export: no bag with bad data, no partial file.
    photo = db.session.get(Photo, photo_id)
    path = storage_of(app).local_path(photo.original_key)
    path.write_bytes(_flip(path.read_bytes()))
    broken = cli(app, "export", album.slug, str(tmp_path / "broken.zip"))
    assert (
        broken.exit_code == 1
        and f"the original of photo {photo_id}" in broken.output
        and "gallery verify" in broken.output
    )
    storage_of(app).delete(photo.original_key)
    missing = cli(app, "export", album.slug, str(tmp_path / "broken.zip"))
    assert missing.exit_code == 1 and "is missing from storage" in missing.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".zip", ".partial")) == ["album.zip"]
    assert not list(tmp_path.glob(".*partial"))
    assert cli(app, "export", "no-such-album", str(tmp_path / "x.zip")).exit_code == 1


def test_export_writes_a_stable_name_for_every_photo(app, client, tokens, album, tmp_path):
    names = ["IMG 1.JPG", "IMG 1.JPG", "..", "ｐｈｏｔｏ．ｊｐｇ", "e\u0301te\u0301.jpeg", "\u202egpj.exe"]
    for i, name in enumerate(names):
        add_photo(client, tokens["editor"], album.slug, jpeg(100 + i), name)
    out = tmp_path / "names.zip"
    assert cli(app, "export", album.slug, str(out)).exit_code == 0
    paths = [name.split("/", 1)[1] for name in _members(out) if "/data/originals/" in name]
    assert len(set(paths)) == len(names)
    assert all(all(c.isascii() and (c.isalnum() or c in "._-/") for c in p) for p in paths), paths
    # The names do not depend on the time or the run: exporting again gives the same.
    again = tmp_path / "again.zip"
    assert cli(app, "export", album.slug, str(again)).exit_code == 0
    assert [n for n in _members(again) if "/data/" in n] == [n for n in _members(out) if "/data/" in n]
