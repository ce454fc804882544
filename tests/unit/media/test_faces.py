"""Face suggestions (gallery/media/faces.py): the public-domain NASA portrait bundled with
scikit-image alone and in group scenes at several sizes, the corpus's hopper portraits in every
orientation, and nothing in synthetic images (the corpus's gradients, patterns and palettes, and
generated ones)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from gallery.media.blur import Box
from gallery.media.faces import suggest_faces
from tests.conftest import CORPUS

PILLOW = CORPUS / "pillow-images"
#: Where the astronaut's face is in skimage.data.astronaut() (512 x 512): left, top, side.
FACE = (177, 67, 93)


def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def covers(box: Box, x: float, y: float, side: float, size: tuple[int, int]) -> bool:
    """Whether ``box`` (fractions) holds the face whose pixel square is (x, y, side) in an image of ``size``."""
    w, h = size
    left, top, right, bottom = box.x * w, box.y * h, (box.x + box.w) * w, (box.y + box.h) * h
    inside = left <= x + 0.15 * side and top <= y + 0.15 * side
    inside = inside and right >= x + 0.85 * side and bottom >= y + 0.85 * side
    return inside and (right - left) <= 2.5 * side  # around the face, not the whole picture


def test_the_astronaut_alone() -> None:
    img = astronaut()
    (box,) = suggest_faces(img)
    assert covers(box, *FACE, img.size)
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= 1 and box.y + box.h <= 1


@pytest.mark.parametrize("size", [(800, 500), (1600, 1000), (3000, 2000)])
def test_a_group_scene_at_several_sizes(size: tuple[int, int]) -> None:
    """Three astronauts of different sizes on a textured background: three faces, where they are."""
    width, height = size
    rng = np.random.default_rng(1)
    noise = rng.integers(60, 200, (height // 8, width // 8, 3)).astype(np.uint8)
    scene = Image.fromarray(noise).resize(size, Image.Resampling.BICUBIC)
    faces = []
    x = int(width * 0.03)
    for fraction in (0.34, 0.48, 0.62):
        side = int(height * fraction)
        scene.paste(astronaut().resize((side, side)), (x, int(height * 0.1)))
        faces.append((x + FACE[0] * side / 512, height * 0.1 + FACE[1] * side / 512, FACE[2] * side / 512))
        x += side + int(width * 0.02)
    found = suggest_faces(scene)
    assert len(found) == 3, found
    for box, face in zip(found, faces, strict=True):  # left to right
        assert covers(box, *face, size), (box, face)


def test_the_boxes_are_in_fractions_of_the_photo_as_displayed() -> None:
    """The same portrait stored turned (EXIF orientation 6) gives the same boxes."""
    upright = Image.new("RGB", (720, 460), (90, 110, 130))
    upright.paste(astronaut().resize((420, 420)), (260, 20))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise, as the camera stored it
    stored.getexif()[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    assert ImageOps.exif_transpose(stored).size == upright.size
    (a,) = suggest_faces(upright)
    (b,) = suggest_faces(stored)
    assert abs(a.x - b.x) < 0.03 and abs(a.y - b.y) < 0.03


HOPPERS = [
    "hopper_orientation_3.jpg", "hopper_orientation_4.jpg", "hopper_orientation_5.jpg", "hopper_orientation_7.jpg",
    "hopper_orientation_2.webp", "hopper_orientation_6.webp", "hopper_orientation_8.webp", "hopper.iccprofile.tif",
    "hopper_16bit_qtables.jpg", "hopper_bigtiff.tif", "hopper_idat_after_image_end.png",
    "hopper_zero_comment_subblocks.gif",
]  # fmt: skip


@pytest.mark.parametrize("name", HOPPERS)
def test_the_corpus_portraits(name: str) -> None:
    path = PILLOW / name
    if not path.exists():
        pytest.skip(f"{path} is not in the corpus")
    with Image.open(path) as img:
        found = suggest_faces(img)
    assert len(found) == 1, found
    box = found[0]
    assert 0.1 < box.w < 0.9 and 0.1 < box.h < 0.9  # a face, not the whole picture


SYNTHETIC = [
    "g4_orientation_1.tif", "g4_orientation_6.tif", "i_trns.png", "16bit.MM.cropped.tif", "tiff_16bit_RGB.tiff",
    "tiff_16bit_RGBa.tiff", "dispose_bgnd.gif", "dispose_none.gif", "issue_2811.gif", "iss634.gif", "padded_idat.png",
    "xmp_tags_orientation.png", "pil_sample_rgb.jpg", "pil_sample_cmyk.jpg", "10ct_32bit_128.tiff",
    "apng/mode_16bit.png",
]  # fmt: skip


@pytest.mark.parametrize("name", SYNTHETIC)
def test_none_in_the_corpus_synthetic_images(name: str) -> None:
    path = PILLOW / name
    if not path.exists():
        pytest.skip(f"{path} is not in the corpus")
    with Image.open(path) as img:
        assert suggest_faces(img) == []


def generated() -> list[Image.Image]:
    w, h = 1200, 800
    y, x = np.mgrid[0:h, 0:w]
    gradient = np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], axis=-1).astype(np.uint8)
    checker = (((x // 40 + y // 40) % 2) * 255).astype(np.uint8)
    rings = (127 + 127 * np.sin(np.hypot(x - w / 2, y - h / 2) / 9)).astype(np.uint8)
    stripes = (127 + 127 * np.sin(x / 5 + y / 11)).astype(np.uint8)
    palette = Image.fromarray(np.random.default_rng(2).integers(0, 16, (h // 50, w // 50), dtype=np.uint8), "P")
    palette.putpalette([v for i in range(16) for v in (i * 16, 255 - i * 16, (i * 97) % 256)])
    return [
        Image.fromarray(gradient),
        Image.fromarray(checker),
        Image.fromarray(rings),
        Image.fromarray(stripes),
        palette.resize((w, h), Image.Resampling.NEAREST),
        Image.new("RGB", (w, h), (128, 128, 128)),
        Image.new("L", (10, 10)),
    ]


def test_none_in_gradients_patterns_and_palettes() -> None:
    for img in generated():
        assert suggest_faces(img) == [], img.mode
