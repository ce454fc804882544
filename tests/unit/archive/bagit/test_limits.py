"""What a zipped bag must keep to before anything is inflated or written: ZIP bombs by declared
sizes, Payload-Oxum, entries that give more than they declare, JSON nesting, and photos the
upload path would refuse (the end-to-end cases are in tests/archive/test_bag_limits.py)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from gallery.archive.bagit import limits
from gallery.archive.bagit.format import InvalidBag
from gallery.archive.bagit.limits import PhotoLimits


def _info(name: str, size: int, packed: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.file_size, info.compress_size = size, packed
    return info


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> zipfile.ZipFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_ratios_within_the_allowance_pass() -> None:
    limits.check_ratios([_info("a.jpg", 5000, 4900), _info("metadata.json", 50_000, 500)])
    small_but_compressible = limits.RATIO_ALLOWANCE  # any ratio, but no more than the allowance
    limits.check_ratios([_info("zeros", small_but_compressible, 1)])


def test_one_entry_inflating_too_far_is_a_bomb() -> None:
    size = limits.MAX_RATIO * 1000 + limits.RATIO_ALLOWANCE + 1
    with pytest.raises(InvalidBag) as caught:
        limits.check_ratios([_info("bag/data/bomb.jpg", size, 1000)])
    assert caught.value.message.startswith("bag/data/bomb.jpg inflates to")
    assert "this looks like a ZIP bomb" in caught.value.message


def test_many_entries_inflating_too_far_together_are_a_bomb() -> None:
    each = limits.RATIO_ALLOWANCE  # every entry alone is within its allowance ...
    with pytest.raises(InvalidBag, match=r"the ZIP inflates"):
        limits.check_ratios([_info(f"{i}", each, 1) for i in range(200)])  # ... not all of them


@pytest.mark.parametrize(
    ("tags", "oxum"),
    [
        ({}, None),
        ({"Payload-Oxum": []}, None),
        ({"Payload-Oxum": ["1234.5"]}, (1234, 5)),
        ({"Payload-Oxum": ["0.0", "9.9"]}, (0, 0)),
    ],
)
def test_payload_oxum_is_read(tags: dict[str, list[str]], oxum: tuple[int, int] | None) -> None:
    assert limits.parse_oxum(tags) == oxum


@pytest.mark.parametrize("value", ["1234", "12.3.4", "-1.2", "a.b", "1234 .5"])
def test_a_malformed_payload_oxum_is_refused(value: str) -> None:
    with pytest.raises(InvalidBag, match=r"is not '<bytes>.<files>'"):
        limits.parse_oxum({"Payload-Oxum": [value]})


def test_sizes_must_agree_with_payload_oxum() -> None:
    limits.check_oxum(None, 10, 2, source="the ZIP declares")  # no Payload-Oxum: nothing to compare
    limits.check_oxum((10, 2), 10, 2, source="the ZIP declares")
    with pytest.raises(InvalidBag) as caught:
        limits.check_oxum((10, 2), 11, 2, source="the payload has")
    assert caught.value.message == (
        "bag-info.txt: Payload-Oxum says 10 bytes in 2 files, the payload has 11 bytes in 2 files"
    )


def test_member_chunks_give_the_entry_in_pieces() -> None:
    data = bytes(range(256)) * 10_000  # 2.5 MB: more than one chunk
    zf = _zip({"big": data})
    chunks = list(limits.member_chunks(zf, zf.getinfo("big"), "big"))
    assert len(chunks) > 1 and b"".join(chunks) == data


def test_an_entry_that_gives_more_than_it_declares_is_refused() -> None:
    zf = _zip({"liar": b"x" * 10_000})
    info = zf.getinfo("liar")
    info.file_size = 100  # the ZIP's directory says 100 bytes, the stream holds 10 000
    with pytest.raises(InvalidBag, match=r"^liar "):
        b"".join(limits.member_chunks(zf, info, "liar"))


def test_a_damaged_entry_is_refused_not_raised() -> None:
    """A broken deflate stream (zlib.error) is a refused bag, not a traceback."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a", b"some text that deflates" * 100)
    raw = bytearray(out.getvalue())
    start = 30 + 1  # the deflate stream follows the 30-byte local header and the name "a"
    raw[start + 5 : start + 15] = b"\xff" * 10
    zf = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    with pytest.raises(InvalidBag, match=r"^a cannot be read from the ZIP"):
        b"".join(limits.member_chunks(zf, zf.getinfo("a"), "a"))


def test_json_nested_too_deeply_or_broken_is_refused() -> None:
    assert limits.load_json('{"a": [1, 2]}', "metadata.json") == {"a": [1, 2]}
    with pytest.raises(InvalidBag, match=r"^data/metadata.json is nested too deeply to be read$"):
        limits.load_json("[" * 100_000 + "]" * 100_000, "data/metadata.json")
    with pytest.raises(InvalidBag, match=r"^data/metadata.json is not valid JSON"):
        limits.load_json("{not json", "data/metadata.json")


def _photos(zf: zipfile.ZipFile, sha256s: dict[str, str] | None = None) -> list[tuple[str, zipfile.ZipInfo, str]]:
    return [
        (info.filename, info, (sha256s or {}).get(info.filename) or hashlib.sha256(zf.read(info)).hexdigest())
        for info in zf.infolist()
    ]


def test_photos_the_upload_path_accepts_pass_and_leave_nothing_behind(tmp_path: Path) -> None:
    zf = _zip({"data/originals/a.jpg": _jpeg(), "data/originals/b.jpg": _jpeg((48, 64))})
    limits.check_photos(zf, _photos(zf), PhotoLimits(max_pixels=10_000, max_bytes=1 << 20, tmp_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "photo_limits", "message"),
    [
        (
            _jpeg(),
            PhotoLimits(max_pixels=10_000, max_bytes=100),
            "is {size} bytes, larger than the upload limit of 0 MB",
        ),
        (_jpeg((200, 100)), PhotoLimits(max_pixels=10_000, max_bytes=1 << 20), "would be refused on upload"),
        (b"<!DOCTYPE html><html></html>", PhotoLimits(max_pixels=10_000, max_bytes=1 << 20), "HTML document"),
        (_jpeg()[:200], PhotoLimits(max_pixels=10_000, max_bytes=1 << 20), "would be refused on upload"),
    ],
    ids=["over-upload-limit", "pixel-limit", "not-an-image", "truncated"],
)
def test_a_photo_the_upload_path_refuses_gets_the_bag_refused(
    tmp_path: Path, data: bytes, photo_limits: PhotoLimits, message: str
) -> None:
    zf = _zip({"data/originals/x.jpg": data})
    checked = PhotoLimits(photo_limits.max_pixels, photo_limits.max_bytes, tmp_dir=tmp_path)
    with pytest.raises(InvalidBag) as caught:
        limits.check_photos(zf, _photos(zf), checked)
    assert caught.value.message.startswith("data/originals/x.jpg ")
    assert message.format(size=len(data)) in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_a_photo_whose_bytes_differ_from_the_checked_hash_is_refused(tmp_path: Path) -> None:
    zf = _zip({"data/originals/a.jpg": _jpeg()})
    photos = _photos(zf, {"data/originals/a.jpg": "0" * 64})
    with pytest.raises(InvalidBag, match=r"changed while the bag was being checked"):
        limits.check_photos(zf, photos, PhotoLimits(max_pixels=10_000, max_bytes=1 << 20, tmp_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []
