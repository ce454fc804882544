"""Real DNG files for the tests, written with pidng: a Bayer (RGGB) mosaic whose left half is
bright red and right half dark, with the orientation a camera held on its side writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pidng.core import RAW2DNG, DNGTags, Tag
from pidng.defs import CalibrationIlluminant, CFAPattern, DNGVersion, PhotometricInterpretation


def write_dng(path: Path, *, width: int = 96, height: int = 64, orientation: int = 1, make: str = "TestCam") -> Path:
    """Write ``path`` (".dng" is appended by pidng when missing) and return it."""
    mosaic = np.full((height, width), 300, dtype=np.uint16)
    mosaic[0::2, 0 : width // 2 : 2] = 4000  # red photosites of the left half: saturated
    mosaic[:, width // 2 :] = 100
    tags = DNGTags()
    for tag, value in [
        (Tag.ImageWidth, width),
        (Tag.ImageLength, height),
        (Tag.TileWidth, width),
        (Tag.TileLength, height),
        (Tag.Orientation, orientation),
        (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
        (Tag.SamplesPerPixel, 1),
        (Tag.BitsPerSample, 12),
        (Tag.CFARepeatPatternDim, [2, 2]),
        (Tag.CFAPattern, CFAPattern.RGGB),
        (Tag.BlackLevel, 0),
        (Tag.WhiteLevel, 4095),
        (Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
        (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
        (Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]),
        (Tag.Make, make),
        (Tag.Model, "One"),
        (Tag.DNGVersion, DNGVersion.V1_4),
        (Tag.DNGBackwardVersion, DNGVersion.V1_2),
    ]:
        tags.set(tag, value)
    writer = RAW2DNG()
    writer.options(tags, path="", compress=False)
    target = path.with_suffix("")
    writer.convert(mosaic, filename=str(target))
    written = target.with_suffix(".dng")
    if written != path:
        written.rename(path)
    return path
