"""Camera raw files (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG) through rawpy (libraw).

A raw original is kept as it is; what the gallery shows is made from it here:
:func:`probe_raw` reads the size and orientation without decoding, :func:`open_raw` gives an
upright 8-bit RGB Pillow image big enough for the largest web size — the JPEG preview the
camera embedded when it is large enough (cheap), else libraw's demosaicing (at half size when
that still serves the size).  Decoding waits its turn in the process's decoding budget like
every other image (:mod:`gallery.media.budget`).

libraw's ``flip`` says how the camera was held: 0 upright, 3 upside down, 5 turned 90°
anticlockwise, 6 turned 90° clockwise (EXIF orientations 1, 3, 8 and 6).  libraw applies it when
it demosaics; an embedded preview is stored as the sensor saw it and is turned here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PIL import Image

from gallery.media import budget
from gallery.media.images import TooManyPixels, UndecodableImage, open_image

if TYPE_CHECKING:
    import rawpy

# rawpy (libraw) and numpy are imported by the functions that read a raw file, not with this
# module: together about 15 MB in every process that imports the upload path, most of which
# never sees a raw file.

#: libraw flip -> EXIF orientation.
FLIP_TO_ORIENTATION: Final[dict[int, int]] = {0: 1, 3: 3, 5: 8, 6: 6}
#: libraw flip -> the Pillow transpose that makes the sensor's picture upright.
_FLIP_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,
    6: Image.Transpose.ROTATE_270,
}
#: Bytes per pixel libraw holds while demosaicing (16-bit raw plus the 16-bit RGB image).
_DEMOSAIC_BYTES_PER_PIXEL: Final = 2 + 8 + 3


@dataclass(frozen=True)
class RawInfo:
    width: int  # upright
    height: int
    orientation: int  # EXIF semantics (1, 3, 6 or 8)


def _open(path: Path) -> rawpy.RawPy:
    import rawpy

    try:
        return rawpy.imread(str(path))
    except (rawpy.LibRawError, OSError, ValueError) as exc:
        raise UndecodableImage(f"the raw file cannot be read: {exc}") from None


def _upright(width: int, height: int, flip: int) -> tuple[int, int]:
    return (height, width) if flip in (5, 6) else (width, height)


def probe_raw(path: Path, *, max_pixels: int) -> RawInfo:
    """Size (upright) and orientation of a raw file, without decoding its pixels.
    Raises :class:`UndecodableImage` or :class:`TooManyPixels`."""
    with _open(path) as raw:
        sizes = raw.sizes
        width, height = int(sizes.width), int(sizes.height)
        flip = int(sizes.flip)
    if width <= 0 or height <= 0:
        raise UndecodableImage(f"invalid raw dimensions {width}x{height}")
    if width * height > max_pixels:
        raise TooManyPixels(width, height, max_pixels)
    upright_width, upright_height = _upright(width, height, flip)
    return RawInfo(upright_width, upright_height, FLIP_TO_ORIENTATION.get(flip, 1))


def _preview(raw: rawpy.RawPy, long_edge: int, max_pixels: int, flip: int) -> Image.Image | None:
    """The embedded JPEG preview, upright, when its long edge reaches ``long_edge``."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawError, ValueError):
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    try:
        with open_image(io.BytesIO(bytes(thumb.data)), formats=("JPEG",), max_pixels=max_pixels) as img:
            if max(img.size) < long_edge:
                return None
            with budget.current().reserve(budget.megapixels(img.width * img.height * 3), priority=True):
                img.load()
                picture = img.convert("RGB")
    except (UndecodableImage, TooManyPixels, OSError):
        return None
    if flip in _FLIP_TRANSPOSE:
        picture = picture.transpose(_FLIP_TRANSPOSE[flip])
    picture.info = {}  # the preview's own EXIF (orientation included) does not apply any more
    return picture


def open_raw(path: Path, *, long_edge: int, max_pixels: int) -> Image.Image:
    """An upright RGB image of the raw file whose long edge is at least ``long_edge`` (or the
    full size, when the file is smaller).  Raises :class:`UndecodableImage` or
    :class:`TooManyPixels`; :class:`gallery.media.budget.BudgetWaitExceeded` when the decoding
    budget stays full."""
    import numpy as np
    import rawpy

    with _open(path) as raw:
        sizes = raw.sizes
        width, height, flip = int(sizes.width), int(sizes.height), int(sizes.flip)
        if width <= 0 or height <= 0:
            raise UndecodableImage(f"invalid raw dimensions {width}x{height}")
        if width * height > max_pixels:
            raise TooManyPixels(width, height, max_pixels)
        wanted = min(long_edge, max(width, height))
        preview = _preview(raw, wanted, max_pixels, flip)
        if preview is not None:
            return preview
        half = max(width, height) // 2 >= wanted
        cost = budget.megapixels(int(sizes.raw_width) * int(sizes.raw_height) * _DEMOSAIC_BYTES_PER_PIXEL)
        with budget.current().reserve(cost, priority=True):
            try:
                rgb = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8, no_auto_bright=False)
            except (rawpy.LibRawError, ValueError, MemoryError) as exc:
                raise UndecodableImage(f"the raw file cannot be decoded: {exc}") from None
    return Image.fromarray(np.ascontiguousarray(rgb))
