"""Face suggestions for the blur tool: where the faces in a photo probably are.

OpenCV's Haar cascades, as shipped inside the ``opencv-python-headless`` 4.x wheel
(``cv2.data.haarcascades``): nothing is fetched at run time.  A face is suggested only where two
differently trained frontal-face cascades agree (``haarcascade_frontalface_default`` and
``haarcascade_frontalface_alt2``, boxes overlapping by at least :data:`AGREEMENT` intersection over
union): either alone fires now and then on foliage, fabric or synthetic patterns, together they
rarely do.  They are *suggestions*: the editor accepts, moves, adds or removes boxes before anything
is blurred.

The image is taken upright (its EXIF orientation applied, a no-op for derivatives, which are stored
upright), reduced to at most :data:`MAX_SIDE` pixels on its long edge and histogram-equalised.
Each box is widened by :data:`MARGIN` on every side (the cascades frame the eyes-to-mouth area; hair,
ears and chin identify a person too), clamped to the image, and returned in fractions of the upright
image (:class:`gallery.media.blur.Box`), left to right.

Only the standard library, Pillow, NumPy and OpenCV are imported.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from PIL import Image, ImageOps

from gallery.media.blur import Box
from gallery.media.pixels import to_8bit

__all__ = ["AGREEMENT", "MARGIN", "MAX_SIDE", "suggest_faces"]

MAX_SIDE: Final[int] = 1024
MARGIN: Final[float] = 0.2
AGREEMENT: Final[float] = 0.3
#: The smallest face looked for, as a fraction of the image's short side (and never under 20 px).
MIN_FACE: Final[float] = 0.04
_CASCADES: Final[tuple[str, str]] = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
_local = threading.local()  # CascadeClassifier is not safe to share between threads

Rect = tuple[int, int, int, int]


def _classifiers() -> tuple[cv2.CascadeClassifier, cv2.CascadeClassifier]:
    found: tuple[cv2.CascadeClassifier, cv2.CascadeClassifier] | None = getattr(_local, "classifiers", None)
    if found is None:
        folder = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]  # cv2.data has no stubs
        loaded = []
        for name in _CASCADES:
            classifier = cv2.CascadeClassifier(str(folder / name))
            if classifier.empty():
                raise RuntimeError(f"the face detector's model {name} is missing from {folder}")
            loaded.append(classifier)
        found = (loaded[0], loaded[1])
        _local.classifiers = found
    return found


def _iou(a: Rect, b: Rect) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def _grey(img: Image.Image) -> np.ndarray:
    upright = ImageOps.exif_transpose(img)
    grey = to_8bit(upright).convert("L")
    width, height = grey.size
    scale = min(1.0, MAX_SIDE / max(width, height))
    if scale < 1.0:
        grey = grey.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.uint8)


def suggest_faces(img: Image.Image) -> list[Box]:
    """Boxes around the faces in ``img`` (any mode; its EXIF orientation is applied), in fractions of
    the upright image, left to right; ``[]`` when there are none (or the image is too small)."""
    grey = _grey(img)
    height, width = grey.shape
    smallest = max(20, int(min(width, height) * MIN_FACE))
    if min(width, height) < smallest:
        return []
    grey = cv2.equalizeHist(grey)
    default, alt2 = _classifiers()
    size = (smallest, smallest)
    first: list[Rect] = [tuple(map(int, r)) for r in default.detectMultiScale(grey, 1.1, 5, minSize=size)]  # type: ignore[misc]
    second: list[Rect] = [tuple(map(int, r)) for r in alt2.detectMultiScale(grey, 1.1, 3, minSize=size)]  # type: ignore[misc]
    agreed = [r for r in first if any(_iou(r, other) >= AGREEMENT for other in second)]
    kept: list[Rect] = []
    for rect in sorted(agreed, key=lambda r: -r[2] * r[3]):  # one box per face: the largest wins
        if all(_iou(rect, other) < AGREEMENT for other in kept):
            kept.append(rect)
    boxes = []
    for x, y, w, h in sorted(kept):
        left, top = max(0.0, x - MARGIN * w), max(0.0, y - MARGIN * h)
        right, bottom = min(float(width), x + w + MARGIN * w), min(float(height), y + h + MARGIN * h)
        boxes.append(Box(left / width, top / height, (right - left) / width, (bottom - top) / height))
    return boxes
