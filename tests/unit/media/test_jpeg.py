"""The one JPEG segment reader (gallery.media.jpeg): segments, truncation, hostile lengths."""

from __future__ import annotations

import io
import struct
import time

import pytest

from gallery.media.jpeg import (
    EOI,
    EXIF_HEADER,
    SOS,
    TEM,
    XMP_HEADER,
    JpegStructureError,
    Segment,
    build_segment,
    header_segments,
    is_standalone,
    next_marker,
    read_segment,
    starts_like_jpeg,
)

SOI_BYTES = b"\xff\xd8"
SCAN = build_segment(SOS, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"


def _jpeg(*segments: bytes) -> bytes:
    return SOI_BYTES + b"".join(segments) + SCAN


def test_build_and_read_a_segment() -> None:
    data = build_segment(0xE1, EXIF_HEADER + b"\x00II*\x00")
    assert data[:2] == b"\xff\xe1" and struct.unpack(">H", data[2:4])[0] == len(data) - 2
    segment = read_segment(data, 0)
    assert segment == Segment(0xE1, 0, len(data))
    assert segment.payload(data) == EXIF_HEADER + b"\x00II*\x00"


def test_build_refuses_an_oversized_payload() -> None:
    build_segment(0xE1, b"x" * 65533)
    with pytest.raises(JpegStructureError, match="64 KB"):
        build_segment(0xE1, b"x" * 65534)


def test_standalone_markers_have_no_length() -> None:
    for marker in (TEM, 0xD0, 0xD7):
        assert is_standalone(marker)
        assert read_segment(bytes((0xFF, marker)), 0) == Segment(marker, 0, 2)
    assert not is_standalone(0xE0) and not is_standalone(SOS)


def test_truncated_segments_ask_for_more_data() -> None:
    whole = build_segment(0xE2, b"ICC_PROFILE\x00" + b"p" * 100)
    for cut in range(len(whole)):
        assert read_segment(whole[:cut], 0) is None, cut
    assert read_segment(whole, 0) is not None


@pytest.mark.parametrize("length", [0, 1])
def test_lengths_below_two_are_refused(length: int) -> None:
    with pytest.raises(JpegStructureError, match="bad length"):
        read_segment(b"\xff\xe1" + struct.pack(">H", length) + b"rest", 0)


@pytest.mark.parametrize("marker", [0x00, 0xD8, EOI])
def test_markers_that_cannot_be_in_a_header_are_refused(marker: int) -> None:
    with pytest.raises(JpegStructureError, match="unexpected marker"):
        read_segment(bytes((0xFF, marker, 0, 4, 0, 0)), 0)


def test_next_marker_skips_junk_and_fill_bytes() -> None:
    data = b"junk\xff\xff\xff\xe1\x00\x02"
    pos = next_marker(data, 0)
    assert pos == 6 and read_segment(data, pos) == Segment(0xE1, 6, 10)
    assert next_marker(b"no marker here", 0) == len(b"no marker here")
    # A final FF waits for its marker byte.
    assert next_marker(b"ab\xff", 0) == 2
    assert next_marker(b"ab\xff\xff", 0) == 3


def test_header_segments_yields_each_payload_before_the_scan() -> None:
    app1 = build_segment(0xE1, XMP_HEADER + b"<x/>")
    com = build_segment(0xFE, b"a comment")
    data = _jpeg(build_segment(0xE0, b"JFIF\x00"), b"\xff\xff", app1, b"junk", com)
    found = list(header_segments(io.BytesIO(data)))
    assert found == [(0xE0, b"JFIF\x00"), (0xE1, XMP_HEADER + b"<x/>"), (0xFE, b"a comment")]


def test_header_segments_reads_large_headers_in_chunks() -> None:
    big = [build_segment(0xE1, bytes([i]) * 65000) for i in range(5)]
    found = list(header_segments(io.BytesIO(_jpeg(*big))))
    assert [payload[:1] for _marker, payload in found] == [bytes([i]) for i in range(5)]
    assert all(len(payload) == 65000 for _marker, payload in found)


def test_header_segments_of_something_else_is_empty() -> None:
    assert list(header_segments(io.BytesIO(b"\x89PNG\r\n\x1a\n"))) == []
    assert list(header_segments(io.BytesIO(b""))) == []
    assert not starts_like_jpeg(b"\xff") and starts_like_jpeg(SOI_BYTES)


def test_a_truncated_file_yields_the_complete_segments_only() -> None:
    first = build_segment(0xE0, b"JFIF\x00")
    second = build_segment(0xE1, EXIF_HEADER + b"\x00" + b"t" * 200)
    data = SOI_BYTES + first + second
    for cut in range(len(SOI_BYTES + first), len(data)):
        assert list(header_segments(io.BytesIO(data[:cut]))) == [(0xE0, b"JFIF\x00")]


def test_hostile_length_claims_past_the_end_stop_quietly() -> None:
    lying = b"\xff\xe1\xff\xff" + b"short"  # claims 65 533 bytes
    assert list(header_segments(io.BytesIO(SOI_BYTES + lying))) == []
    broken = SOI_BYTES + build_segment(0xE0, b"JFIF\x00") + b"\xff\xe1\x00\x01"
    assert list(header_segments(io.BytesIO(broken))) == [(0xE0, b"JFIF\x00")]


def test_header_segments_respects_max_bytes() -> None:
    data = _jpeg(*[build_segment(0xE1, b"x" * 60000) for _ in range(10)])
    found = list(header_segments(io.BytesIO(data), max_bytes=200_000))
    assert 1 <= len(found) <= 4


def test_charge_can_stop_a_walk_of_many_tiny_segments() -> None:
    data = SOI_BYTES + b"\xff\xd0" * 500_000 + SCAN  # restart markers: no payload, cheap to claim

    class Spent(Exception):
        pass

    calls = 0

    def charge(nbytes: int) -> None:
        nonlocal calls
        calls += 1
        if calls > 10_000:
            raise Spent

    def walk() -> list[tuple[int, bytes]]:
        return list(header_segments(io.BytesIO(data), charge=charge))

    started = time.monotonic()
    with pytest.raises(Spent):
        walk()
    assert time.monotonic() - started < 2
