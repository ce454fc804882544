"""Camera raw files through rawpy (gallery/media/raw.py): size and orientation without decoding, an upright
picture for the web sizes (the embedded preview when large enough, else libraw's demosaicing), clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import rawpy
from PIL import Image

from gallery.media import raw
from gallery.media.images import TooManyPixels, UndecodableImage
from tests.ingest.dng import write_dng


@pytest.mark.parametrize(("orientation", "size"), [(1, (96, 64)), (3, (96, 64)), (6, (64, 96)), (8, (64, 96))])
def test_probe_reads_the_upright_size_and_orientation(tmp_path: Path, orientation: int, size: tuple[int, int]) -> None:
    path = write_dng(tmp_path / "IMG.DNG", orientation=orientation)
    info = raw.probe_raw(path, max_pixels=10**6)
    assert ((info.width, info.height), info.orientation) == (size, orientation)


@pytest.mark.parametrize(
    ("orientation", "red_at"),
    [(1, (10, 32)), (3, (86, 32)), (6, (32, 10)), (8, (32, 86))],  # where the red (left) half ends up
)
def test_open_raw_gives_an_upright_picture(tmp_path: Path, orientation: int, red_at: tuple[int, int]) -> None:
    path = write_dng(tmp_path / "IMG.DNG", orientation=orientation)
    picture = raw.open_raw(path, long_edge=400, max_pixels=10**6)
    assert picture.mode == "RGB" and max(picture.size) == 96  # smaller than asked: the full size
    red, green, blue = picture.getpixel(red_at)  # type: ignore[misc]
    assert red > 150 and red > green + 80 and red > blue + 80
    assert not picture.info  # no orientation left for the renderer to apply again


def test_half_size_demosaicing_when_it_still_serves(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "IMG.DNG", width=192, height=128)
    assert raw.open_raw(path, long_edge=90, max_pixels=10**6).size == (96, 64)
    assert raw.open_raw(path, long_edge=150, max_pixels=10**6).size == (192, 128)


class FakeThumb:
    def __init__(self, data: bytes, fmt: object = rawpy.ThumbFormat.JPEG) -> None:
        self.format = fmt
        self.data = data


class CameraWithPreview:
    """What libraw's ``extract_thumb`` hands over for a camera file with a JPEG preview (pidng cannot
    embed one in the DNGs written here)."""

    def __init__(self, thumb: FakeThumb | None) -> None:
        self.thumb = thumb

    def extract_thumb(self) -> FakeThumb:
        if self.thumb is None:
            raise rawpy.LibRawNoThumbnailError()
        return self.thumb


def jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_embedded_preview_is_used_when_large_enough() -> None:
    camera = CameraWithPreview(FakeThumb(jpeg((96, 64), (0, 0, 255))))
    picture = raw._preview(camera, 64, 10**6, 6)  # type: ignore[arg-type]
    assert picture is not None and picture.size == (64, 96)  # turned the way the camera was held
    assert picture.getpixel((30, 40))[2] > 200  # type: ignore[index]
    assert not picture.info
    assert raw._preview(camera, 200, 10**6, 0) is None  # too small for the size asked: demosaic instead
    assert raw._preview(CameraWithPreview(None), 10, 10**6, 0) is None
    bitmap = CameraWithPreview(FakeThumb(b"\x00" * 64, rawpy.ThumbFormat.BITMAP))
    assert raw._preview(bitmap, 10, 10**6, 0) is None
    broken = CameraWithPreview(FakeThumb(b"\xff\xd8\xff\xe0 broken"))
    assert raw._preview(broken, 10, 10**6, 0) is None  # a broken preview is no reason to refuse the file


def test_bad_and_oversized_raw_files_are_refused(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "IMG.DNG")
    with pytest.raises(TooManyPixels):
        raw.probe_raw(path, max_pixels=1000)
    with pytest.raises(TooManyPixels):
        raw.open_raw(path, long_edge=400, max_pixels=1000)
    broken = tmp_path / "broken.DNG"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(UndecodableImage):
        raw.open_raw(broken, long_edge=400, max_pixels=10**6)
    junk = tmp_path / "junk.NEF"
    junk.write_bytes(b"II*\x00" + b"\x00" * 100)
    with pytest.raises(UndecodableImage):
        raw.probe_raw(junk, max_pixels=10**6)
