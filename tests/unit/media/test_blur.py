"""Blurring areas beyond recognition (gallery/media/blur.py): the boxes' rules and the effect,
measured as the variance of the Laplacian inside and outside the boxes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gallery.media.blur import CELLS, MAX_BOXES, Box, BoxError, obscure, parse_boxes, pixel_box


def laplacian_variance(img: Image.Image, rect: tuple[int, int, int, int] | None = None) -> float:
    """Variance of the 4-neighbour Laplacian of the grey image (over ``rect``): the usual
    sharpness measure; detail (edges, texture) makes it large."""
    grey = np.asarray(img.convert("L"), dtype=np.float64)
    if rect is not None:
        left, top, right, bottom = rect
        grey = grey[top:bottom, left:right]
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def detailed(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """Noise over a checkerboard: detail at every scale."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    checker = ((x // 8 + y // 8) % 2) * 120
    noise = rng.integers(0, 100, size=(size[1], size[0]))
    grey = (checker + noise).astype(np.uint8)
    return Image.merge("RGB", [Image.fromarray(grey)] * 3)


def test_boxes_are_parsed_and_checked() -> None:
    assert parse_boxes([]) == []
    assert parse_boxes([{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}]) == [Box(0.1, 0.2, 0.3, 0.4)]
    assert parse_boxes([{"x": 0, "y": 0, "w": 1, "h": 1}]) == [Box(0.0, 0.0, 1.0, 1.0)]
    # a hair of rounding is forgiven and clamped into the photo
    (clamped,) = parse_boxes([{"x": -1e-9, "y": 0.5, "w": 0.5, "h": 0.5 + 1e-9}])
    assert clamped.x == 0.0 and clamped.y + clamped.h <= 1.0
    bad: list[object] = [
        "boxes",
        {"x": 0.1},
        [1, 2],
        [{"x": 0.1, "y": 0.1, "w": 0.2}],
        [{"x": 0.1, "y": 0.1, "w": 0.2, "h": "0.2"}],
        [{"x": 0.1, "y": 0.1, "w": 0.2, "h": True}],
        [{"x": 0.1, "y": 0.1, "w": 0.2, "h": float("nan")}],
        [{"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.2}],  # beyond the right edge
        [{"x": -0.1, "y": 0.1, "w": 0.2, "h": 0.2}],
        [{"x": 0.1, "y": 0.1, "w": 0, "h": 0.2}],  # empty
        [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "label": "face"}],
        [{"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1}] * (MAX_BOXES + 1),
    ]
    for raw in bad:
        with pytest.raises(BoxError):
            parse_boxes(raw)


def test_pixel_boxes_cover_the_fraction_rounded_outwards() -> None:
    assert pixel_box(Box(0.25, 0.5, 0.5, 0.25), (400, 200)) == (100, 100, 300, 150)
    assert pixel_box(Box(0.001, 0.001, 0.002, 0.002), (100, 100)) == (0, 0, 1, 1)  # at least a pixel
    assert pixel_box(Box(0.0, 0.0, 1.0, 1.0), (7, 3)) == (0, 0, 7, 3)
    assert pixel_box(Box(0.33, 0.33, 0.34, 0.34), (10, 10)) == (3, 3, 7, 7)


def test_the_boxes_lose_their_detail_and_the_rest_is_untouched() -> None:
    img = detailed()
    box = Box(0.3, 0.25, 0.25, 0.4)
    rect = pixel_box(box, img.size)
    out = obscure(img, [box])
    assert out.size == img.size and out.mode == img.mode
    before, after = laplacian_variance(img, rect), laplacian_variance(out, rect)
    assert after <= 0.02 * before, (before, after)  # at least 98 % of the detail is gone
    a, b = np.asarray(img), np.asarray(out)
    mask = np.ones(a.shape[:2], dtype=bool)
    mask[rect[1] : rect[3], rect[0] : rect[2]] = False
    assert np.array_equal(a[mask], b[mask])  # outside the box: the same pixels
    assert np.asarray(img).tobytes() == a.tobytes()  # the input is not modified


def test_no_sharpening_brings_the_detail_back() -> None:
    """Pixelation averages the detail away (information gone, not hidden): sharpening the
    result hard leaves the box far below the original's detail."""
    from PIL import ImageFilter

    img = detailed()
    box = Box(0.1, 0.1, 0.5, 0.5)
    rect = pixel_box(box, img.size)
    sharpened = obscure(img, [box]).filter(ImageFilter.UnsharpMask(radius=4, percent=500, threshold=0))
    assert laplacian_variance(sharpened, rect) <= 0.1 * laplacian_variance(img, rect)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA"])
def test_every_derivative_mode_can_be_obscured(mode: str) -> None:
    img = detailed((120, 90)).convert(mode)
    out = obscure(img, [Box(0.0, 0.0, 1.0, 1.0), Box(0.5, 0.5, 0.5, 0.5)])
    assert out.mode == mode and out.size == img.size
    assert laplacian_variance(out) < 0.05 * laplacian_variance(img)


def test_cells_across_a_box() -> None:
    """A flat-coloured box keeps its colour (nothing invented), whatever its size."""
    for side in (3, CELLS, 97):
        img = Image.new("RGB", (side * 2, side * 2), (200, 30, 90))
        out = obscure(img, [Box(0.25, 0.25, 0.5, 0.5)])
        assert out.getpixel((side, side)) == (200, 30, 90)
