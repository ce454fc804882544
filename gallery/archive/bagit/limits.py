"""What a zipped bag must keep to before ``gallery import-bag`` inflates or writes anything.

The checks of :mod:`gallery.archive.bagit.importer` make sure a bag is complete and unchanged; these make
sure it cannot hurt the importing machine, and that it holds nothing the upload path would refuse:

* Before anything is inflated, from the sizes the ZIP declares (its central directory): no entry,
  and not the ZIP as a whole, may inflate to more than :data:`MAX_RATIO` times its compressed size
  (a ZIP bomb), and the payload's declared sizes must add up to bag-info.txt's Payload-Oxum.
* While inflating, no entry may give more bytes than it declared (declared sizes can lie), and the
  bytes really read must again add up to Payload-Oxum.
* ``metadata.json`` that is nested too deeply for the JSON parser is refused, not a crash.
* Every photo goes through the upload path's own validation - the upload size limit, then
  :func:`gallery.photos.ingest.inspect` (type from the bytes, pixel limit, decodes) on a temporary
  copy that is removed straight away - so a bag with a photo an upload would refuse is refused.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from gallery.archive.bagit.format import InvalidBag
from gallery.core.errors import (
    PayloadTooLarge,
    UnprocessableImage,
    UnsupportedMediaType,
)
from gallery.photos.ingest import inspect
from gallery.photos.received import spool

CHUNK = 1 << 20
#: An entry (or the whole ZIP) may inflate to at most this many times its compressed size.
#: Photos barely compress (about 1:1); metadata.json and the tag files about 1:10.
MAX_RATIO = 100
#: ... plus this much, so that small, very compressible files never count as bombs.
RATIO_ALLOWANCE = 1 << 20

# What zipfile raises for damaged entries (a bad CRC; zlib.error for a broken deflate stream),
# unsupported compression methods and encrypted entries.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True)
class PhotoLimits:
    """The upload path's limits (``GALLERY_MAX_PIXELS``, ``GALLERY_MAX_UPLOAD_MB``) and where
    photos are unpacked for checking (the instance's temporary folder)."""

    max_pixels: int
    max_bytes: int
    tmp_dir: Path | None = None


def check_ratios(entries: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse a ZIP bomb from the sizes its entries declare, before anything is inflated."""
    declared = packed = 0
    for info in entries:
        if info.file_size > MAX_RATIO * info.compress_size + RATIO_ALLOWANCE:
            raise InvalidBag(_bomb(info.filename, info.file_size, info.compress_size))
        declared += info.file_size
        packed += info.compress_size
    if declared > MAX_RATIO * packed + RATIO_ALLOWANCE:
        raise InvalidBag(_bomb("the ZIP", declared, packed))


def _bomb(what: str, size: int, packed: int) -> str:
    return (
        f"{what} inflates to {size} bytes, {size // max(packed, 1)} times its compressed size "
        f"({packed} bytes; at most {MAX_RATIO} times is accepted): this looks like a ZIP bomb"
    )


def parse_oxum(info_tags: Mapping[str, list[str]]) -> tuple[int, int] | None:
    """bag-info.txt's ``Payload-Oxum: <bytes>.<files>``, or ``None`` when the bag has none."""
    values = info_tags.get("Payload-Oxum") or []
    if not values:
        return None
    match = re.fullmatch(r"(\d+)\.(\d+)", values[0])
    if not match:
        raise InvalidBag(f"bag-info.txt: Payload-Oxum {values[0]!r} is not '<bytes>.<files>'")
    return int(match.group(1)), int(match.group(2))


def check_oxum(oxum: tuple[int, int] | None, size: int, files: int, *, source: str) -> None:
    """The payload's size and file count (as ``source`` gives them) must be Payload-Oxum's."""
    if oxum is not None and oxum != (size, files):
        raise InvalidBag(
            f"bag-info.txt: Payload-Oxum says {oxum[0]} bytes in {oxum[1]} files, "
            f"{source} {size} bytes in {files} files"
        )


def member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The inflated bytes of one entry, counted: never more than the entry declared."""
    read = 0
    try:
        with zf.open(info) as handle:
            while chunk := handle.read(CHUNK):
                read += len(chunk)
                if read > info.file_size:
                    raise InvalidBag(f"{name} inflates to more than the {info.file_size} bytes the ZIP declares")
                yield chunk
    except _READ_ERRORS as exc:
        raise InvalidBag(f"{name} cannot be read from the ZIP: {exc}") from None


def load_json(raw: str, what: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidBag(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidBag(f"{what} is nested too deeply to be read") from None


def check_photos(zf: zipfile.ZipFile, photos: Iterable[tuple[str, zipfile.ZipInfo, str]], limits: PhotoLimits) -> None:
    """Refuse the bag if the upload path would refuse one of its photos, given as
    ``(name, zip entry, sha256)``; each is unpacked to a temporary file that is removed again."""
    for name, info, sha256 in photos:
        if info.file_size > limits.max_bytes:
            raise InvalidBag(
                f"{name} is {info.file_size} bytes, larger than the upload limit of "
                f"{limits.max_bytes // (1024 * 1024)} MB (GALLERY_MAX_UPLOAD_MB)"
            )
        try:
            with zf.open(info) as stream:  # spool measures what it inflates against the declared size
                received = spool(cast(BinaryIO, stream), max_bytes=info.file_size, tmp_dir=limits.tmp_dir)
        except PayloadTooLarge:
            raise InvalidBag(f"{name} inflates to more than the {info.file_size} bytes the ZIP declares") from None
        except _READ_ERRORS as exc:
            raise InvalidBag(f"{name} cannot be read from the ZIP: {exc}") from None
        try:
            if received.sha256 != sha256:
                raise InvalidBag(f"{name} changed while the bag was being checked")
            inspect(received, event_timezone="UTC", max_pixels=limits.max_pixels)
        except (UnsupportedMediaType, UnprocessableImage) as exc:
            raise InvalidBag(f"{name} would be refused on upload: {exc.message}") from None
        finally:
            received.cleanup()
