"""blur_photo (gallery/consent/blur.py): boxes in fractions of the photo as displayed (after EXIF
rotation), every web size rendered again with them obscured -- measured: the variance of the
Laplacian over each box drops by at least 90 %, the rest of the image stays within JPEG noise --
the original untouched, original downloads off, the old URLs retired."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageOps

from gallery.consent.blur import blur_photo
from gallery.core.audit import Actor
from gallery.core.errors import GalleryError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.media.blur import Box, pixel_box
from gallery.models import AuditLog, OriginalDownloads, Photo, Role, User
from gallery.photos.downloads import plan_download
from tests.archive.conftest import add_photo, make_album, storage_of, stored_keys
from tests.conftest import make_user
from tests.unit.media.test_blur import laplacian_variance

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200,600")

FACE = Box(0.6, 0.1, 0.3, 0.4)  # where the detail to hide is, as displayed
OTHER = Box(0.05, 0.55, 0.25, 0.35)  # detail that must stay sharp


def displayed_scene(size: tuple[int, int] = (900, 600)) -> Image.Image:
    """A smooth gradient with two patches of fine detail, at FACE and OTHER (display frame)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 200 / w, y * 200 / h, (x + y) * 100 / (w + h)], axis=-1)
    rng = np.random.default_rng(3)
    for box in (FACE, OTHER):
        left, top, right, bottom = pixel_box(box, size)
        yy, xx = np.mgrid[top:bottom, left:right]
        checker = (((xx // 3) + (yy // 3)) % 2) * 90
        base[top:bottom, left:right] = (checker + rng.integers(0, 90, size=(bottom - top, right - left)))[..., None]
    return Image.fromarray(base.clip(0, 255).astype(np.uint8))


def rotated_jpeg(display: Image.Image) -> bytes:
    """The scene stored as a camera held upright stores it: pixels turned 90 degrees, with EXIF
    orientation 6 ("rotate 90 CW to display")."""
    stored = display.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=95, exif=exif.tobytes())
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(out.getvalue()))).size == display.size
    return out.getvalue()


def largest(app: Flask, photo: Photo) -> Image.Image:
    jpeg = max((d for d in photo.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    with storage_of(app).open(jpeg.key) as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


@pytest.fixture
def editor(users: dict[str, User]) -> User:
    return users["editor"]


def blur(app: Flask, photo: Photo, boxes: object, user: User) -> list[dict[str, float]]:
    return blur_photo(
        db.session,
        photo,
        boxes,
        actor=Actor(user=user, via="api"),
        storage=storage_of(app),
        sizes=(200, 600),
        max_pixels=10**8,
    )


def test_the_boxes_lose_their_detail_in_every_size_and_the_rest_stays(
    app: Flask, tokens: dict[str, str], editor: User
) -> None:
    album = make_album("blur")
    album.original_downloads = OriginalDownloads.exact
    db.session.commit()
    data = rotated_jpeg(displayed_scene())
    photo = db.session.get(Photo, add_photo(app.test_client(), tokens["editor"], "blur", data))
    assert photo is not None and (photo.width, photo.height) in ((900, 600), (600, 900))
    before = largest(app, photo)
    assert before.size == (600, 400)  # upright
    old_keys, old_version = {d.key for d in photo.derivatives}, photo.media_version
    assert plan_download(photo, album.original_downloads).kind == "original"  # type: ignore[union-attr]

    assert blur(app, photo, [FACE.as_dict()], editor) == [FACE.as_dict()]
    db.session.commit()
    assert photo.blur_boxes == [FACE.as_dict()] and photo.media_version != old_version
    assert {d.key for d in photo.derivatives}.isdisjoint(old_keys)
    assert stored_keys(app, "derivatives/").isdisjoint(old_keys)  # the unblurred objects are gone
    assert storage_of(app).open(photo.original_key).read() == data  # the original untouched

    after = largest(app, photo)
    face, other = pixel_box(FACE, after.size), pixel_box(OTHER, after.size)
    drop = 1 - laplacian_variance(after, face) / laplacian_variance(before, face)
    assert drop >= 0.90, f"the Laplacian's variance over the box dropped by only {drop:.1%}"
    # The detail elsewhere is kept: the other patch as sharp as before (within JPEG noise).
    assert laplacian_variance(after, other) == pytest.approx(laplacian_variance(before, other), rel=0.05)
    # Outside the box (and 8 px around it: JPEG blocks touching it), the pixels are the same within JPEG noise.
    a, b = np.asarray(before, dtype=np.int16), np.asarray(after, dtype=np.int16)
    mask = np.ones(a.shape[:2], dtype=bool)
    mask[max(0, face[1] - 8) : face[3] + 8, max(0, face[0] - 8) : face[2] + 8] = False
    assert np.abs(a - b)[mask].mean() < 1.0
    # every size: the 200 px one too
    small = min((d for d in photo.derivatives if d.format == "webp"), key=lambda d: d.width)
    with storage_of(app).open(small.key) as handle:
        small_img = Image.open(io.BytesIO(handle.read())).convert("RGB")
    with Image.open(io.BytesIO(data)) as original:
        plain = ImageOps.exif_transpose(original).resize(small_img.size, Image.Resampling.BICUBIC)
    box = pixel_box(FACE, small_img.size)
    assert laplacian_variance(small_img, box) <= 0.1 * laplacian_variance(plain, box)

    # Downloads give the blurred web size, never the original.
    item = plan_download(photo, OriginalDownloads.exact)
    assert item is not None and item.kind == "web" and item.key in {d.key for d in photo.derivatives}
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "photo.blur"))
    assert entry is not None and entry.details["boxes"] == [FACE.as_dict()] and entry.user_id == editor.id

    # No boxes: the blur is taken away, under yet another version.
    blurred_keys = {d.key for d in photo.derivatives}
    assert blur(app, photo, [], editor) == []
    db.session.commit()
    assert photo.blur_boxes is None and stored_keys(app, "derivatives/").isdisjoint(blurred_keys)
    restored = largest(app, photo)
    assert laplacian_variance(restored, face) == pytest.approx(laplacian_variance(before, face), rel=0.05)


def test_bad_boxes_and_visitors_change_nothing(app: Flask, tokens: dict[str, str], editor: User) -> None:
    make_album("blur")
    photo = db.session.get(
        Photo, add_photo(app.test_client(), tokens["editor"], "blur", rotated_jpeg(displayed_scene((90, 60))))
    )
    assert photo is not None
    keys, version = stored_keys(app), photo.media_version
    for bad in ([{"x": 0.9, "y": 0, "w": 0.5, "h": 0.5}], "everything", [{"x": 0.1}], None):
        with pytest.raises(ValidationError):
            blur(app, photo, bad, editor)
    with pytest.raises(PermissionDenied):
        blur(app, photo, [FACE.as_dict()], make_user(Role.photographer, email="snapper@example.org"))
    db.session.rollback()
    assert stored_keys(app) == keys and photo.media_version == version and photo.blur_boxes is None


def test_an_unrenderable_original_is_a_conflict(app: Flask, tokens: dict[str, str], editor: User) -> None:
    make_album("blur")
    photo = db.session.get(
        Photo, add_photo(app.test_client(), tokens["editor"], "blur", rotated_jpeg(displayed_scene((90, 60))))
    )
    assert photo is not None
    storage_of(app).delete(photo.original_key)
    with pytest.raises(GalleryError) as caught:
        blur(app, photo, [FACE.as_dict()], editor)
    assert caught.value.status in (409, 503)


def test_opencv_is_loaded_only_when_faces_are_asked_for() -> None:
    """Importing OpenCV costs a process about 36 MB: the web and Celery workers and `gallery import` must not
    pay it until the blur tool asks for face suggestions (bench/ingest.py's peak-memory target)."""
    import subprocess
    import sys

    code = "import sys, gallery.app, gallery.tasks, gallery.cli; print('cv2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
