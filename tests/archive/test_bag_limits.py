"""`gallery import-bag` against hostile bags: a metadata.json nested too deeply, ZIP bombs, ZIPs
whose declared sizes lie, and photos the upload path would refuse.  Every such bag is refused with
a one-line message before anything is written: no rows, no stored objects, no temporary files."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Album, Event, Photo, Role
from tests.archive.conftest import (
    cli,
    jpeg,
    leftover_temp_files,
    make_album,
    stored_keys,
    upload,
)
from tests.archive.faults import PROJECT, child_env
from tests.conftest import CORPUS, DATABASES, make_token, make_user

ROOT = "bag"
LIMITS = {"GALLERY_MAX_PIXELS": "1000000", "GALLERY_MAX_UPLOAD_MB": "2"}
GIB = 1 << 30


@dataclass
class Zeros:
    """``prefix`` followed by zero bytes, ``size`` bytes in all, produced in 1 MiB pieces."""

    prefix: bytes
    size: int

    def chunks(self) -> Iterator[bytes]:
        yield self.prefix
        left = self.size - len(self.prefix)
        block = bytes(1 << 20)
        while left > 0:
            piece = block[: min(left, len(block))]
            left -= len(piece)
            yield piece


def photo_entry(path: str, sha256: str, size: int, content_type: str = "image/jpeg") -> dict:
    return {
        "path": path,
        "sha256": sha256,
        "size": size,
        "content_type": content_type,
        "original_filename": path.rsplit("/", 1)[-1],
        "width": 320,
        "height": 240,
        "orientation": None,
        "taken_at": None,
        "taken_at_offset_minutes": None,
        "taken_at_source": "upload",
        "taken_at_raw": None,
        "taken_at_flags": "",
        "clock_offset_seconds": 0,
        "camera": {
            "make": None,
            "model": None,
            "serial": None,
            "lens": None,
            "focal_length_mm": None,
            "aperture": None,
            "exposure_time": None,
            "iso": None,
        },
        "metadata_error": None,
        "title": "",
        "caption": "",
        "alt_text": "",
        "credit": "",
        "copyright": "",
        "keywords": [],
        "position": None,
        "private": {"gps_latitude": None, "gps_longitude": None, "gps_altitude": None},
    }


def metadata_for(photos: list[dict]) -> bytes:
    document = {
        "format": "gallery-album-bag",
        "format_version": 1,
        "event": {
            "slug": "hostile-2024",
            "title": "Hostile",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Warsaw",
            "location": "",
            "description": "",
        },
        "album": {
            "slug": "hostile",
            "title": "Hostile",
            "description": "",
            "visibility": "public",
            "sort_mode": "capture_time",
            "original_downloads": "off",
            "cover": None,
        },
        "photos": photos,
    }
    return json.dumps(document).encode()


def write_bag(
    out: Path,
    photos: dict[str, bytes | Zeros],
    *,
    metadata: bytes | None = None,
    oxum: str | None = None,
    content_types: dict[str, str] | None = None,
) -> Path:
    """A bag a tool other than `gallery export` could have made: every payload file deflated,
    manifests, Payload-Oxum and the tag manifest consistent with what is really inside (unless
    ``oxum`` overrides the Payload-Oxum)."""
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    entries = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9, allowZip64=True) as zf:
        zf.writestr(f"{ROOT}/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        for name, data in photos.items():
            path = f"data/originals/{name}"
            digest = hashlib.sha256()
            size = 0
            info = zipfile.ZipInfo(f"{ROOT}/{path}", date_time=(2024, 5, 7, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as handle:
                for chunk in data.chunks() if isinstance(data, Zeros) else [data]:
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
            digests[path], sizes[path] = digest.hexdigest(), size
            content_type = (content_types or {}).get(name, "image/jpeg")
            entries.append(photo_entry(f"originals/{name}", digests[path], size, content_type))
        document = metadata if metadata is not None else metadata_for(entries)
        zf.writestr(f"{ROOT}/data/metadata.json", document)
        digests["data/metadata.json"], sizes["data/metadata.json"] = hashlib.sha256(document).hexdigest(), len(document)
        manifest = "".join(f"{digests[p]}  {p}\n" for p in sorted(digests)).encode()
        info_text = (
            f"Source-Organization: Mallory\nPayload-Oxum: {oxum or f'{sum(sizes.values())}.{len(sizes)}'}\n"
        ).encode()
        bagit_txt = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        zf.writestr(f"{ROOT}/manifest-sha256.txt", manifest)
        zf.writestr(f"{ROOT}/bag-info.txt", info_text)
        tags = {"bagit.txt": bagit_txt, "bag-info.txt": info_text, "manifest-sha256.txt": manifest}
        zf.writestr(
            f"{ROOT}/tagmanifest-sha256.txt",
            "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(tags.items())),
        )
    return out


def assert_nothing_written(app: Flask) -> None:
    db.session.rollback()
    assert db.session.scalar(select(func.count(Album.id))) == 0
    assert db.session.scalar(select(func.count(Event.id))) == 0
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert stored_keys(app) == set()
    assert leftover_temp_files(app) == []
    db.session.rollback()


def refused(app: Flask, bag: Path, expected: str) -> str:
    result = cli(app, "import-bag", str(bag))
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, RecursionError)
    assert expected in result.stderr and "nothing was written" in result.stderr, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert_nothing_written(app)
    return errors[0]


@pytest.fixture
def target(make_instance) -> Flask:
    application = make_instance(**LIMITS)
    with application.app_context():
        yield application


def test_deeply_nested_metadata_gives_one_line_and_exit_1(target: Flask, tmp_path: Path) -> None:
    """The real command in a real process: no RecursionError traceback, one line, exit 1."""
    depth = 200_000
    bag = write_bag(tmp_path / "deep.zip", {"a.jpg": jpeg(1)}, metadata=b"[" * depth + b"]" * depth)
    settings = target.config["GALLERY_SETTINGS"]
    env = child_env(
        GALLERY_ENV="testing",
        GALLERY_INSTANCE_PATH=str(settings.instance_path),
        GALLERY_DATABASE_URL=settings.database_url,
        GALLERY_STORAGE_URL=settings.storage_url,
        GALLERY_SECRET_KEY=settings.secret_key,
        GALLERY_LOG_LEVEL="WARNING",
    )
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "wsgi", "gallery", "import-bag", str(bag)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: refused deep.zip: data/metadata.json is nested too deeply to be read; nothing was written"
    ], done.stderr[-2000:]
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # the progress label, the error
    assert_nothing_written(target)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)  # about the ZIP, not the database
def test_zip_bomb_is_refused_before_it_is_inflated(target: Flask, tmp_path: Path) -> None:
    """A 1 MB ZIP whose "JPEG" inflates to 1 GiB, with manifest, Payload-Oxum and metadata.json
    all consistent with it: refused from its declared sizes, before inflating it."""
    bomb = Zeros(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", GIB)
    bag = write_bag(tmp_path / "bomb.zip", {"bomb.jpg": bomb, "fine.jpg": jpeg(2)})
    assert bag.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    line = refused(target, bag, "data/originals/bomb.jpg inflates")
    elapsed = time.monotonic() - started
    assert "times its compressed size" in line, line
    assert elapsed < 1.0, f"{elapsed:.2f} s: the bomb was inflated"


def test_many_small_bombs_are_refused_as_a_whole(target: Flask, tmp_path: Path) -> None:
    """No single entry is big, but together they inflate far beyond the ZIP's size."""
    photos: dict[str, bytes | Zeros] = {f"{i:03d}.jpg": Zeros(b"\xff\xd8\xff%03d" % i, 1 << 20) for i in range(200)}
    bag = write_bag(tmp_path / "many.zip", photos)
    line = refused(target, bag, "the ZIP inflates")
    assert "times its compressed size" in line


def test_declared_sizes_must_agree_with_payload_oxum_before_inflating(target: Flask, tmp_path: Path) -> None:
    data = jpeg(3)
    metadata_len = len(metadata_for([photo_entry("originals/a.jpg", hashlib.sha256(data).hexdigest(), len(data))]))
    bag = write_bag(tmp_path / "oxum.zip", {"a.jpg": data}, oxum=f"{len(data) + metadata_len - 1}.2")
    line = refused(target, bag, "Payload-Oxum says")
    assert "the ZIP declares" in line, line


def _lie_about_size(path: Path, member: str, declared: bytes) -> None:
    """Rewrite the size and CRC the ZIP's central directory states for ``member`` (what readers
    trust) so that it declares ``declared`` while its deflate stream holds much more."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset = zf.start_dir  # where the central directory begins
    name = member.encode()
    while True:
        assert raw[offset : offset + 4] == b"PK\x01\x02", "entry not found in the central directory"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", raw, offset + 28)
        if bytes(raw[offset + 46 : offset + 46 + name_len]) == name:
            break
        offset += 46 + name_len + extra_len + comment_len
    struct.pack_into("<I", raw, offset + 16, zlib.crc32(declared))
    struct.pack_into("<I", raw, offset + 24, len(declared))
    path.write_bytes(bytes(raw))


def test_declared_sizes_that_lie_are_never_trusted_while_inflating(target: Flask, tmp_path: Path) -> None:
    """The ZIP says 2 KB (CRC to match), its deflate stream holds 256 MiB of zeros: at most the
    declared bytes are read, and what they are (no photo) gets the bag refused."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2048 - 11)
    bag = tmp_path / "liar.zip"
    # A consistent bag for the 2 KB the ZIP will declare ...
    write_bag(bag, {"liar.jpg": head})
    # ... whose entry is then replaced by a 256 MiB stream declaring those 2 KB.
    with zipfile.ZipFile(bag) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(bag, "w", zipfile.ZIP_DEFLATED, compresslevel=9, allowZip64=True) as zf:
        for name, data in members.items():
            if name.endswith("liar.jpg"):
                info = zipfile.ZipInfo(name, date_time=(2024, 5, 7, 9, 30, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as handle:
                    for chunk in Zeros(head, 256 << 20).chunks():
                        handle.write(chunk)
            else:
                zf.writestr(name, data)
    _lie_about_size(bag, f"{ROOT}/data/originals/liar.jpg", head)
    with zipfile.ZipFile(bag) as zf:
        assert zf.getinfo(f"{ROOT}/data/originals/liar.jpg").file_size == len(head)
    started = time.monotonic()
    refused(target, bag, "data/originals/liar.jpg would be refused on upload")
    assert time.monotonic() - started < 5


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _upload_error(probe: Flask, data: bytes, name: str) -> str:
    """What the upload API of an instance with the same limits says about these bytes."""
    with probe.app_context():
        token = make_token(make_user(Role.editor))
        album = make_album("probe")
        response = upload(probe.test_client(), token, album.slug, data, name)
        assert response.status_code in (413, 415, 422), response.get_data(as_text=True)
        message = str(response.get_json()["error"]["message"])
        db.session.remove()
    return message


@pytest.mark.parametrize(
    ("case", "data", "content_type"),
    [
        ("pixel-flood.png", lambda: _png((1200, 1000)), "image/png"),
        ("truncated.png", lambda: (CORPUS / "pillow-images" / "truncated_image.png").read_bytes(), "image/png"),
        ("html.jpg", lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>", "image/jpeg"),
        ("too-big.jpg", lambda: jpeg(9) + bytes(3 * 1024 * 1024), "image/jpeg"),
    ],
    ids=["pixel-limit", "undecodable", "not-an-image", "over-upload-limit"],
)
def test_a_photo_the_upload_would_refuse_gets_the_bag_refused(
    make_instance, target: Flask, tmp_path: Path, case: str, data, content_type: str
) -> None:
    if case == "truncated.png" and not CORPUS.is_dir():
        pytest.skip(f"test corpus not found at {CORPUS}")
    payload = data()
    bag = write_bag(
        tmp_path / "bad-photo.zip", {"good.jpg": jpeg(4), case: payload}, content_types={case: content_type}
    )
    line = refused(target, bag, f"data/originals/{case}")
    reason = _upload_error(make_instance(**LIMITS), payload, case)
    if case == "too-big.jpg":
        assert "limit of 2 MB" in line and "limit of 2 MB" in reason, (line, reason)
    elif case == "html.jpg":
        assert "HTML document" in line and "HTML document" in reason, (line, reason)
    else:
        assert reason in line, (line, reason)  # the upload path's own words
    assert_nothing_written(target)


def test_a_good_bag_still_imports(target: Flask, tmp_path: Path) -> None:
    bag = write_bag(
        tmp_path / "good.zip", {"a.jpg": jpeg(5), "b.png": _png((300, 200))}, content_types={"b.png": "image/png"}
    )
    result = cli(target, "import-bag", str(bag))
    assert result.exit_code == 0, result.output
    assert "imported 2 photo(s)" in result.stdout
    assert len(stored_keys(target, "originals/")) == 2
    assert leftover_temp_files(target) == []
