"""Is an ISO base media file (HEIC, HEIF, AVIF) complete?  Truncation found from its structure.

libheif decodes a grid image (every iPhone HEIC is a grid of 512x512 tiles) even when tiles are
missing, and fills the holes with green; an upload cut at 30-95 % then looks like a photo.  The
container says how long everything is, so a cut is found without decoding anything:

* every top-level box (``ftyp``, ``meta``, ``mdat``, ``moov`` ...) must end inside the file
  (a size of 0, "to the end of the file", is allowed for the last box only);
* every extent the ``iloc`` box of the top-level ``meta`` points at must end inside the file
  (construction method 0) or inside the ``idat`` box (construction method 1).  Extents in
  other files (``data_reference_index`` != 0) and items built from other items (method 2) are
  not checked here.

:func:`find_truncation` answers with a short reason, or ``None`` when nothing reaches past the
end.  It reads only box headers and the ``meta`` box (at most :data:`MAX_META_BYTES`).
Malformed structure that is *not* truncation is left to the decoder to judge.
Only the standard library is imported.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO, Final

__all__ = ["MAX_META_BYTES", "find_truncation", "is_bmff"]

#: A ``meta`` box larger than this is not read (its top-level size is still checked).
MAX_META_BYTES: Final[int] = 16 * 1024 * 1024
#: Top-level boxes looked at, at most (a real file has a handful).
MAX_TOP_LEVEL_BOXES: Final[int] = 10_000


class _Short(Exception):
    """The bytes ended inside a structure."""


def is_bmff(head: bytes) -> bool:
    """True when ``head`` starts with an ISO-BMFF ``ftyp`` box."""
    return len(head) >= 12 and head[4:8] == b"ftyp"


def find_truncation(fp: BinaryIO) -> str | None:
    """Why the ISO-BMFF file in ``fp`` is truncated, or ``None``.

    The file starts at ``fp``'s position (offsets count from there); the position is kept."""
    position = fp.tell()
    try:
        view = _View(fp, position)
        size = view.size
        meta: tuple[int, int] | None = None  # (payload offset, payload size)
        for count, (kind, start, header, box_size) in enumerate(_top_level(view, size)):
            if count >= MAX_TOP_LEVEL_BOXES:
                return None
            end = start + box_size
            if end > size:
                return (
                    f"the file is truncated: its '{_name(kind)}' box needs {box_size:,} bytes from "
                    f"offset {start:,}, but the file ends at {size:,}"
                )
            if kind == b"meta" and meta is None:
                meta = (start + header, box_size - header)
        if meta is not None:
            return _meta_reason(view, size, *meta)
        return None
    except _Short as exc:
        return f"the file is truncated: {exc}"
    finally:
        fp.seek(position)


class _View:
    """``fp`` seen from ``base`` on: offset 0 is the first byte of the file."""

    def __init__(self, fp: BinaryIO, base: int) -> None:
        self._fp = fp
        self._base = base
        self.size = fp.seek(0, os.SEEK_END) - base

    def read_at(self, offset: int, count: int) -> bytes:
        self._fp.seek(self._base + offset)
        return self._fp.read(count)


def _name(kind: bytes) -> str:
    return kind.decode("latin-1").encode("ascii", "backslashreplace").decode("ascii")


def _top_level(view: _View, size: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header length, box size) of each top-level box."""
    offset = 0
    while offset < size:
        head = view.read_at(offset, 16)
        if len(head) < 8:
            raise _Short(f"a box header at offset {offset:,} is cut off")
        box_size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if box_size == 1:
            if len(head) < 16:
                raise _Short(f"the '{_name(kind)}' box header at offset {offset:,} is cut off")
            box_size = struct.unpack(">Q", head[8:16])[0]
            header = 16
        elif box_size == 0:  # extends to the end of the file
            box_size = size - offset
        if box_size < header:
            return  # malformed, not truncated: the decoder will say so
        yield kind, offset, header, box_size
        offset += box_size


def _children(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``."""
    offset = start
    while offset + 8 <= end:
        box_size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if box_size == 1:
            if offset + 16 > end:
                return
            box_size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif box_size == 0:
            box_size = end - offset
        if box_size < header or offset + box_size > end:
            return
        yield kind, offset + header, offset + box_size
        offset += box_size


def _meta_reason(view: _View, file_size: int, payload_start: int, payload_size: int) -> str | None:
    if payload_size > MAX_META_BYTES or payload_size < 4:
        return None
    data = view.read_at(payload_start, payload_size)
    if len(data) < payload_size:
        raise _Short("the 'meta' box is cut off")
    iloc: tuple[int, int] | None = None
    idat: tuple[int, int] | None = None
    for kind, start, end in _children(data, 4, len(data)):  # meta is a full box: skip version/flags
        if kind == b"iloc" and iloc is None:
            iloc = (start, end)
        elif kind == b"idat" and idat is None:
            idat = (start, end)
    if iloc is None:
        return None
    idat_size = idat[1] - idat[0] if idat else 0
    try:
        for item_id, method, extent_start, length in _iloc_extents(data[iloc[0] : iloc[1]]):
            if method == 0:
                end = extent_start + (length or file_size - extent_start)
                if end > file_size:
                    return (
                        f"the file is truncated: item {item_id}'s data runs to byte {end:,}, "
                        f"but the file ends at {file_size:,}"
                    )
            elif method == 1 and extent_start + length > idat_size:
                return f"the file is truncated: item {item_id}'s data runs past the end of its 'idat' box"
    except (struct.error, IndexError):
        return None  # a malformed iloc is the decoder's to refuse
    return None


def _iloc_extents(box: bytes) -> Iterator[tuple[int, int, int, int]]:
    """(item id, construction method, extent start, extent length) from an ``iloc`` payload.

    Extent starts include the item's base offset.  Items in other files are skipped."""
    version = box[0]
    if version > 2:
        return
    pos = 4
    sizes = box[pos] << 8 | box[pos + 1]
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 0xF, (sizes >> 4) & 0xF
    index_size = sizes & 0xF if version in (1, 2) else 0
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise IndexError("invalid iloc field size")
    pos += 2

    def number(width: int) -> int:
        nonlocal pos
        if pos + width > len(box):
            raise IndexError("iloc cut off")
        value = int.from_bytes(box[pos : pos + width], "big")
        pos += width
        return value

    item_count = number(2 if version < 2 else 4)
    for _ in range(item_count):
        item_id = number(2 if version < 2 else 4)
        method = number(2) & 0xF if version in (1, 2) else 0
        reference = number(2)
        base = number(base_size)
        extent_count = number(2)
        for _ in range(extent_count):
            if index_size:
                number(index_size)
            start = number(offset_size)
            length = number(length_size)
            if reference == 0:
                yield item_id, method, base + start, length
