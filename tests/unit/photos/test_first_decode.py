"""The upload check's decoding kept for the first web size (gallery/photos/first_decode.py): bounded, taken
once, only when it serves the size asked, closed when dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image

from gallery.photos import first_decode


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    first_decode.clear()
    yield
    first_decode.clear()


def picture(size: tuple[int, int] = (750, 500)) -> Image.Image:
    return Image.new("RGB", size)


def test_taken_once_when_it_serves_the_size() -> None:
    img = picture()
    assert first_decode.keep("a" * 64, img)
    assert first_decode.take("a" * 64, long_edge=400) is img
    assert first_decode.take("a" * 64, long_edge=400) is None  # taken: gone
    small = picture((300, 200))
    assert first_decode.keep("b" * 64, small)
    assert first_decode.take("b" * 64, long_edge=400) is None  # too small to serve 400 px: dropped
    assert first_decode.take("unknown", long_edge=1) is None


def test_bounded_and_closed_when_dropped() -> None:
    kept = [picture() for _ in range(first_decode.MAX_KEPT + 2)]
    for number, img in enumerate(kept):
        assert first_decode.keep(f"{number:064x}", img)
    for number in range(2):  # the oldest were dropped and closed
        assert first_decode.take(f"{number:064x}", long_edge=1) is None
        with pytest.raises(ValueError):
            kept[number].load()
    assert first_decode.take(f"{first_decode.MAX_KEPT + 1:064x}", long_edge=1) is kept[-1]
    huge = picture((2000, 1001))
    assert not first_decode.keep("c" * 64, huge)  # larger than MAX_PIXELS: the caller closes it
