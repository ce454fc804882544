"""The bag's on-disk format (RFC 8493): names, tag files, manifests, path encoding, JSON bytes.

Everything here is pure: no database, no storage, no ZIP.  Parsing raises :class:`InvalidBag`
with a message naming the file and line."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from gallery.core.errors import GalleryError
from gallery.media.sniff import canonical_extension

BAG_FORMAT = "gallery-album-bag"
BAG_FORMAT_VERSION = 1
BAGIT_VERSION = "1.0"
BAGIT_VERSIONS_READ = ("0.97", "1.0")
INSTANCE_TAG_FILE = "gallery-instance.json"
METADATA_PATH = "data/metadata.json"
SUPPORTED_ALGORITHMS = ("sha256", "sha512", "sha1", "md5")

_MANIFEST_NAME_RE = re.compile(r"(tag)?manifest-([a-z0-9]+)\.txt")
#: RFC 8493 lines end with LF, CR or CRLF, nothing else (str.splitlines would also split on
#: U+2028, U+0085 and other characters a file name may contain).
_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_HEX_RE = re.compile(r"[0-9a-f]+")


class InvalidBag(GalleryError):
    """The bag is not one Gallery can import; the message says what is wrong."""

    status = 422
    code = "invalid_bag"


# --- names --------------------------------------------------------------------------------------


def safe_stem(filename: str) -> str:
    """An ASCII, file-system-safe form of a file name without its extension."""
    stem = filename.rsplit(".", 1)[0] if "." in filename.strip(".") else filename
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_only).strip(".-_")[:60].rstrip(".-_")
    return cleaned or "photo"


def bag_file_name(position: int, original_filename: str, content_type: str) -> str:
    """``originals/0001-<stem>.<ext>``: the capture-order position keeps names unique and stable."""
    ext = canonical_extension(content_type) or "bin"  # the one extension table, gallery.media.sniff
    return f"originals/{position:04d}-{safe_stem(original_filename)}.{ext}"


def safe_member(name: str) -> bool:
    """Whether a ZIP member or manifest path stays inside the bag (no absolute, ``..``, drive or NUL)."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return False
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return not re.match(r"^[A-Za-z]:", parts[0])


def manifest_file(name: str) -> tuple[bool, str] | None:
    """``(is_tag_manifest, algorithm)`` for ``manifest-<alg>.txt`` / ``tagmanifest-<alg>.txt``, else ``None``."""
    match = _MANIFEST_NAME_RE.fullmatch(name)
    if not match:
        return None
    return bool(match.group(1)), match.group(2)


# --- values -------------------------------------------------------------------------------------


def iso_utc(value: datetime | None) -> str | None:
    """``2024-05-07T07:42:10Z`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dumps(document: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, UTF-8, indented, one trailing newline."""
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def human_size(size: int) -> str:
    """Bag-Size as RFC 8493 suggests: ``512 bytes``, ``1.5 MB``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def few(items: list[str]) -> str:
    """The first five items, and how many more, for a message."""
    shown = ", ".join(items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


# --- tag files and manifests --------------------------------------------------------------------


def bagit_declaration() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()


def tag_value(value: str) -> str:
    """A tag value on one line (whitespace runs, line breaks included, become one space)."""
    return " ".join(str(value).split())


def tag_file(lines: Iterable[tuple[str, str]]) -> bytes:
    """``Label: value`` lines, in the order given."""
    return "".join(f"{label}: {tag_value(value)}\n" for label, value in lines).encode("utf-8")


def lines(text: str) -> list[str]:
    """The lines of a tag file or manifest (see :data:`_LINE_END_RE`)."""
    return _LINE_END_RE.split(text)


def parse_tag_file(text: str, what: str) -> dict[str, list[str]]:
    """``Label: value`` lines; continuation lines start with whitespace (RFC 8493 2.2.2)."""
    tags: dict[str, list[str]] = {}
    last: str | None = None
    for number, line in enumerate(lines(text), 1):
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            tags[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip() or label != label.strip():
            raise InvalidBag(f"{what} line {number} is not 'Label: value': {line[:80]!r}")
        last = label
        tags.setdefault(label, []).append(value.strip())
    return tags


def encode_manifest_path(path: str) -> str:
    """RFC 8493 2.1.3: CR, LF and % in a manifest path are percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_manifest_path(path: str) -> str:
    """The inverse of :func:`encode_manifest_path` (other ``%`` sequences are left alone)."""
    return re.sub(r"%(0[dDaA]|25)", lambda m: {"0d": "\r", "0a": "\n", "25": "%"}[m.group(1).lower()], path)


def manifest(checksums: dict[str, str]) -> bytes:
    """``<checksum>  <path>`` lines sorted by path, paths encoded."""
    return "".join(f"{checksums[p]}  {encode_manifest_path(p)}\n" for p in sorted(checksums)).encode("utf-8")


def parse_manifest(text: str, what: str, alg: str) -> dict[str, str]:
    """A manifest's ``{path: checksum}``; paths decoded, ``./`` dropped, each checked to stay inside the bag."""
    width = hashlib.new(alg).digest_size * 2
    entries: dict[str, str] = {}
    for number, line in enumerate(lines(text), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise InvalidBag(f"{what} line {number} is not '<checksum> <path>'")
        checksum, raw_path = parts[0].lower(), decode_manifest_path(parts[1].strip())
        if len(checksum) != width or not _HEX_RE.fullmatch(checksum):
            raise InvalidBag(f"{what} line {number}: {parts[0][:80]!r} is not a {alg} checksum")
        path = raw_path.removeprefix("./")
        if not safe_member(path):
            raise InvalidBag(f"{what} line {number}: unsafe path {raw_path[:80]!r}")
        if path in entries:
            raise InvalidBag(f"{what} lists {path!r} twice")
        entries[path] = checksum
    return entries
