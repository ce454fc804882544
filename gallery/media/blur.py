"""Blurring areas of an image beyond recognition, and the boxes that say where.

A box is ``{"x", "y", "w", "h"}`` in fractions (0..1) of the image **as displayed**: after its EXIF
orientation is applied, which is how derivatives are upright (see :mod:`gallery.media.derivatives`).
Fractions make a box independent of the size it is drawn on: the same box covers the same part of
the 400 px and the 2048 px derivative, and of the original turned upright.

:func:`obscure` destroys the detail inside each box in two steps, so that no sharpening or
deconvolution brings a face back:

1. **Pixelation.**  The area is reduced to about :data:`CELLS` cells across its longer side (box
   averaging) and scaled back up with nearest neighbour: everything finer than a cell -- eyes,
   mouth, the shape of a nose -- is averaged away and the information is gone, not hidden.
2. **Gaussian blur** of the pixelated area with a radius of one cell, so the cell edges (which a
   "depixelation" attack keys on) disappear too.

The surrounding image is not touched (pixels outside the boxes are copied unchanged).  Only Pillow
is imported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageFilter

__all__ = ["CELLS", "MAX_BOXES", "Box", "BoxError", "obscure", "parse_boxes", "pixel_box"]

#: Cells across the longer side of a box after pixelation.
CELLS: Final[int] = 8
#: The most boxes one photo may carry.
MAX_BOXES: Final[int] = 50
#: Boxes smaller than this (fraction of the image's side) are refused: nothing could be hidden there.
_MIN_SIDE: Final[float] = 0.002


class BoxError(ValueError):
    """A box is malformed: not four numbers, outside the image, or empty."""


@dataclass(frozen=True, slots=True)
class Box:
    """An area of the upright image, in fractions of its width (``x``, ``w``) and height (``y``, ``h``)."""

    x: float
    y: float
    w: float
    h: float

    def as_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


def _number(raw: Mapping[str, object], name: str, index: int) -> float:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BoxError(f"box {index + 1}: {name} must be a number from 0 to 1")
    return float(value)


def parse_boxes(raw: object) -> list[Box]:
    """Boxes from JSON-like input (a list of ``{"x", "y", "w", "h"}`` mappings).

    Each value is a fraction; a box must lie inside the image (a hair of rounding, 1e-6, is
    forgiven and clamped) and be at least 0.2 % of the image on each side.  At most
    :data:`MAX_BOXES`.  Raises :class:`BoxError` saying which box is wrong and why."""
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        raise BoxError("boxes must be a list of {x, y, w, h}")
    if len(raw) > MAX_BOXES:
        raise BoxError(f"at most {MAX_BOXES} boxes")
    boxes: list[Box] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise BoxError(f"box {index + 1} must be an object with x, y, w and h")
        extra = set(item) - {"x", "y", "w", "h"}
        if extra:
            raise BoxError(f"box {index + 1}: unknown field {sorted(extra)[0]!r}")
        x, y, w, h = (_number(item, name, index) for name in ("x", "y", "w", "h"))
        eps = 1e-6
        if x < -eps or y < -eps or w < _MIN_SIDE or h < _MIN_SIDE or x + w > 1 + eps or y + h > 1 + eps:
            raise BoxError(f"box {index + 1} must lie inside the photo (fractions from 0 to 1, not empty)")
        x, y = max(0.0, x), max(0.0, y)
        boxes.append(Box(x, y, min(w, 1.0 - x), min(h, 1.0 - y)))
    return boxes


def pixel_box(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The pixel rectangle ``(left, top, right, bottom)`` of ``box`` on an upright image of ``size``,
    rounded outwards so the box is always fully covered (and at least one pixel)."""
    width, height = size
    left = max(0, math.floor(box.x * width))
    top = max(0, math.floor(box.y * height))
    right = min(width, max(left + 1, math.ceil((box.x + box.w) * width)))
    bottom = min(height, max(top + 1, math.ceil((box.y + box.h) * height)))
    return left, top, right, bottom


def _obscure_area(area: Image.Image) -> Image.Image:
    width, height = area.size
    cell = max(1, math.ceil(max(width, height) / CELLS))
    small = area.resize((max(1, math.ceil(width / cell)), max(1, math.ceil(height / cell))), Image.Resampling.BOX)
    pixelated = small.resize((width, height), Image.Resampling.NEAREST)
    return pixelated.filter(ImageFilter.GaussianBlur(radius=cell))


def obscure(img: Image.Image, boxes: Iterable[Box]) -> Image.Image:
    """A copy of the upright ``img`` with every box pixelated and blurred beyond recognition;
    the pixels outside the boxes are unchanged.  ``img`` itself is not modified."""
    out = img.copy()
    for box in boxes:
        rect = pixel_box(box, img.size)
        out.paste(_obscure_area(img.crop(rect)), rect[:2])
    return out
