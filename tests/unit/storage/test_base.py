"""Key rules, Content-Disposition, MemoryStorage thread safety."""

from __future__ import annotations

import pytest

from gallery.storage import (
    ChecksumMismatch,
    InvalidKey,
    NotFound,
    StorageError,
    content_disposition,
    normalize_sha256,
    validate_key,
)
from tests.storage.helpers import sha


@pytest.mark.parametrize(
    "key",
    ["a", "a/b/c.jpg", "originals/ab/cd/" + "f" * 64 + ".jpg", "...", "..a", "A-Z_0.9", "x" * 1024],
)
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("../x", "'..'"),
        ("a/./b", "'.'"),
        ("/abs", "relative"),
        ("a\\b", "backslash"),
        ("a//b", "empty segment"),
        ("a/", "empty segment"),
        ("a\x00b", "NUL"),
        ("x" * 1025, "maximum is 1024"),
        ("é", "may contain only"),
        ("a b", "may contain only"),
    ],
)
def test_invalid_keys_have_clear_messages(key: str, reason: str) -> None:
    with pytest.raises(InvalidKey, match=reason):
        validate_key(key)


def test_invalid_key_types() -> None:
    with pytest.raises(InvalidKey):
        validate_key(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        validate_key(b"a")  # type: ignore[arg-type]


def test_exception_hierarchy() -> None:
    assert issubclass(NotFound, StorageError)
    assert issubclass(ChecksumMismatch, StorageError)
    assert issubclass(InvalidKey, StorageError) and issubclass(InvalidKey, ValueError)


def test_normalize_sha256() -> None:
    digest = sha(b"x")
    assert normalize_sha256(digest.upper()) == digest
    for bad in ["", "xyz", digest[:-1], digest + "0", "g" * 64]:
        with pytest.raises(ValueError):
            normalize_sha256(bad)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"),
        (
            "Brüssel 2024 – Tag 1.jpg",
            'attachment; filename="Brussel 2024 _ Tag 1.jpg"; '
            "filename*=UTF-8''Br%C3%BCssel%202024%20%E2%80%93%20Tag%201.jpg",
        ),
        ('say "hi"\\/x.jpg', "attachment; filename=\"say _hi___x.jpg\"; filename*=UTF-8''say%20%22hi%22%5C%2Fx.jpg"),
        (
            "evil\r\nSet-Cookie: a=b",
            "attachment; filename=\"evilSet-Cookie: a=b\"; filename*=UTF-8''evilSet-Cookie%3A%20a%3Db",
        ),
        ("日本.jpg", "attachment; filename=\"__.jpg\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.jpg"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
def test_content_disposition(name: str, expected: str) -> None:
    value = content_disposition(name)
    assert value == expected
    assert value.isascii() and "\r" not in value and "\n" not in value
