"""The bag's on-disk format: names, tag files, manifests (RFC 8493), JSON bytes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from gallery.archive.bagit import format as fmt
from gallery.archive.bagit.format import InvalidBag


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("IMG 1.JPG", "IMG-1"),
        ("..", "photo"),
        ("ｐｈｏｔｏ．ｊｐｇ", "photo.jpg"),  # full-width: NFKD folds it, the full-width dot is no extension
        ("e\u0301te\u0301.jpeg", "ete"),
        ("\u202egpj.exe", "gpj"),  # a right-to-left override is dropped
        ("../../etc/passwd.jpg", "etc-passwd"),
        ("фото.jpg", "photo"),  # nothing ASCII left
        ("Zdjęcie 01 (GPS).jpg", "Zdjecie-01-GPS"),
        ("noext", "noext"),
        ("a" * 100 + ".jpg", "a" * 60),
    ],
)
def test_safe_stem_is_ascii_and_safe(name: str, stem: str) -> None:
    assert fmt.safe_stem(name) == stem


def test_bag_file_names_carry_position_stem_and_the_type_extension() -> None:
    assert fmt.bag_file_name(1, "IMG 1.JPG", "image/jpeg") == "originals/0001-IMG-1.jpg"
    assert fmt.bag_file_name(12, "scan.TIFF", "image/tiff") == "originals/0012-scan.tif"
    assert fmt.bag_file_name(3, "x.png", "image/heic") == "originals/0003-x.heic"  # the type decides, not the name
    assert fmt.bag_file_name(10000, "odd", "application/x-unknown") == "originals/10000-odd.bin"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("bag/data/a.jpg", True),
        ("bagit.txt", True),
        ("dir/", True),
        ("", False),
        ("/etc/passwd", False),
        ("../evil", False),
        ("a/../b", False),
        ("a/./b", False),
        ("a//b", False),
        ("C:/Windows", False),
        ("a\\b", False),
        ("a\x00b", False),
    ],
)
def test_safe_member(name: str, safe: bool) -> None:
    assert fmt.safe_member(name) is safe


def test_manifest_file_names() -> None:
    assert fmt.manifest_file("manifest-sha256.txt") == (False, "sha256")
    assert fmt.manifest_file("tagmanifest-md5.txt") == (True, "md5")
    assert fmt.manifest_file("manifest-sha256.txt.bak") is None
    assert fmt.manifest_file("data/manifest-sha256.txt") is None


ODD_NAMES = [
    "data/originals/plain.jpg",
    "data/originals/with space.jpg",
    "data/originals/100%.jpg",
    "data/originals/%0A literally.jpg",
    "data/originals/%25 twice %2525.jpg",
    "data/originals/line\nbreak.jpg",
    "data/originals/carriage\rreturn.jpg",
    "data/originals/crlf\r\n.jpg",
    "data/originals/line\u2028separator.jpg",  # str.splitlines() would cut here
    "data/originals/next\x85line.jpg",
    "data/originals/form\x0cfeed.jpg",
    "data/originals/Zdjęcie ｐｈｏｔｏ 写真.jpg",
    "data/originals/\u202egpj.exe",
]


def test_a_manifest_round_trips_odd_file_names() -> None:
    checksums = {name: hashlib.sha256(name.encode()).hexdigest() for name in ODD_NAMES}
    text = fmt.manifest(checksums).decode("utf-8")
    assert len(text.split("\n")) == len(ODD_NAMES) + 1  # one line each (and the final newline)
    assert "\r" not in text
    assert fmt.parse_manifest(text, "manifest-sha256.txt", "sha256") == checksums


def test_manifest_lines_are_sorted_by_path_and_encoded() -> None:
    text = fmt.manifest({"data/b": "2" * 64, "data/a\nb": "1" * 64}).decode()
    assert text == f"{'1' * 64}  data/a%0Ab\n{'2' * 64}  data/b\n"


@pytest.mark.parametrize("name", ODD_NAMES)
def test_path_encoding_round_trips(name: str) -> None:
    encoded = fmt.encode_manifest_path(name)
    assert "\r" not in encoded and "\n" not in encoded
    assert fmt.decode_manifest_path(encoded) == name


def test_decoding_accepts_lower_case_and_leaves_other_escapes() -> None:
    assert fmt.decode_manifest_path("a%0db%0aC%25") == "a\rb\nC%"
    assert fmt.decode_manifest_path("%20%2F%41") == "%20%2F%41"


def test_manifests_from_other_tools_are_read() -> None:
    sha = "A" * 64  # upper case is accepted and normalised
    text = f"{sha} ./data/a.jpg\r\n\r\n{'b' * 64}\tdata/b c.jpg\r\n"  # CRLF, "./", a tab, an empty line
    assert fmt.parse_manifest(text, "m", "sha256") == {
        "data/a.jpg": "a" * 64,
        "data/b c.jpg": "b" * 64,
    }
    md5 = hashlib.md5(b"x").hexdigest()
    assert fmt.parse_manifest(f"{md5}  data/x\r", "m", "md5") == {"data/x": md5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc\n", "line 1 is not '<checksum> <path>'"),
        (f"{'0' * 63}  data/a\n", "is not a sha256 checksum"),
        (f"{'g' * 64}  data/a\n", "is not a sha256 checksum"),
        (f"{'0' * 64}  data/../../etc/passwd\n", "unsafe path"),
        (f"{'0' * 64}  /etc/passwd\n", "unsafe path"),
        (f"{'0' * 64}  data/a\n{'1' * 64}  ./data/a\n", "lists 'data/a' twice"),
    ],
)
def test_bad_manifests_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidBag, match=r"manifest-sha256.txt") as caught:
        fmt.parse_manifest(text, "manifest-sha256.txt", "sha256")
    assert message in caught.value.message


def test_tag_files_round_trip_and_fold_continuation_lines() -> None:
    written = fmt.tag_file([("Source-Organization", "Gallery"), ("External-Description", "two\nlines   here")])
    assert written == b"Source-Organization: Gallery\nExternal-Description: two lines here\n"
    parsed = fmt.parse_tag_file(
        "Contact-Name: Ana\r\nExternal-Description: first\n  second\n\tthird\nContact-Name: Jan\n", "bag-info.txt"
    )
    assert parsed == {"Contact-Name": ["Ana", "Jan"], "External-Description": ["first second third"]}
    assert fmt.parse_tag_file("Note: a\u2028b\n", "bag-info.txt") == {"Note": ["a\u2028b"]}


@pytest.mark.parametrize("text", ["no colon here\n", " Label: leading space first\n", ": no label\n", "Label : x\n"])
def test_bad_tag_lines_are_refused(text: str) -> None:
    with pytest.raises(InvalidBag, match=r"bag-info.txt line 1 is not 'Label: value'"):
        fmt.parse_tag_file(text, "bag-info.txt")


def test_the_bagit_declaration() -> None:
    assert fmt.parse_tag_file(fmt.bagit_declaration().decode(), "bagit.txt") == {
        "BagIt-Version": [fmt.BAGIT_VERSION],
        "Tag-File-Character-Encoding": ["UTF-8"],
    }


def test_dumps_is_deterministic_utf8_json() -> None:
    one = fmt.dumps({"b": "Łódź", "a": [1, {"d": None, "c": 2}]})
    two = fmt.dumps({"a": [1, {"c": 2, "d": None}], "b": "Łódź"})
    assert one == two and one.endswith(b"}\n") and "Łódź".encode() in one
    assert json.loads(one) == {"a": [1, {"c": 2, "d": None}], "b": "Łódź"}


def test_iso_utc() -> None:
    warsaw = timezone(timedelta(hours=2))
    assert fmt.iso_utc(datetime(2024, 5, 7, 9, 42, 10, tzinfo=warsaw)) == "2024-05-07T07:42:10Z"
    assert fmt.iso_utc(None) is None


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KB"), (1536 * 1024, "1.5 MB"), (5 << 40, "5.0 TB")],
)
def test_human_size(size: int, text: str) -> None:
    assert fmt.human_size(size) == text


def test_few() -> None:
    assert fmt.few(["a", "b"]) == "a, b"
    assert fmt.few([str(i) for i in range(8)]) == "0, 1, 2, 3, 4 and 3 more"
