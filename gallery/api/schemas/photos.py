"""Photos, with their camera and derivatives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import marshmallow as ma
from flask import request
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import (
    ModelSchema,
    PageQuerySchema,
    UTCDateTime,
    column_field,
    only_for,
)
from gallery.api.schemas.events import AlbumSchema
from gallery.catalog.media_access import photo_media_right
from gallery.core.permissions import Permission
from gallery.http.guard import acting_user
from gallery.http.media_urls import DerivativeUrls
from gallery.http.viewer import current_viewer
from gallery.models import Album, Derivative, IdempotencyKey, Photo
from gallery.photos.capture import event_zone, reported_local_time

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$")
POSITION_MAX = 1_000_000
STAFF = Permission.upload


class LocalTime(fields.DateTime):
    """``taken_at_local``: the capture time in the offset that applied (:mod:`gallery.photos.capture`)."""

    _CHECK_ATTRIBUTE = False

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        local = reported_local_time(obj, event_zone(obj.album.event))
        return local.isoformat() if local else None


class CameraSchema(ModelSchema):
    class Meta:
        model = Photo
        fields = ("make", "model", "lens", "focal_length_mm", "aperture", "exposure_time", "iso")

    make = auto_field("camera_make", dump_only=True)
    model = auto_field("camera_model", dump_only=True)


_URLS = "gallery.api.derivative_urls"


def _derivative_url(derivative: Derivative) -> str:
    """The derivative's URL carrying the viewer's right to its photo.  One
    :class:`~gallery.http.media_urls.DerivativeUrls` per right and request (one clock, one
    ``url_for``), not per derivative: a page of 50 photos has 100 or more.  Same URLs as
    :func:`~gallery.http.media_urls.derivative_url`."""
    memo: dict[Any, Any] = request.environ.setdefault(_URLS, {})
    user = acting_user()
    if memo.get("user", memo) is not user:  # the viewer, once per request (and per acting user)
        memo.clear()
        memo.update(user=user, viewer=current_viewer())
    right = photo_media_right(memo["viewer"], derivative.photo)
    if right not in memo:
        memo[right] = DerivativeUrls(right)
    urls: DerivativeUrls = memo[right]
    return urls(derivative)


class DerivativeSchema(ModelSchema):
    """A web size: progressive JPEG or WebP."""

    class Meta:
        model = Derivative
        fields = ("width", "height", "format", "url")

    url = fields.Function(_derivative_url, dump_only=True, metadata={"type": "string"})


class PhotoSchema(ModelSchema):
    """A photo.  Only ``caption``, ``alt_text``, ``credit`` and ``position`` can be changed."""

    class Meta:
        model = Photo
        fields = (
            "id", "filename", "sha256", "taken_at", "taken_at_local", "taken_at_source", "width", "height", "title",
            "caption", "alt_text", "credit", "copyright", "keywords", "status", "position", "camera", "derivatives",
            "error", "metadata_error", "taken_at_raw", "content_type", "size", "hidden", "hidden_reason",
            "sizes_pending", "blur_boxes",
        )  # fmt: skip
        dump_only = (
            "id", "filename", "sha256", "taken_at", "taken_at_source", "width", "height", "title", "copyright",
            "status", "error", "metadata_error", "taken_at_raw", "content_type", "size", "sizes_pending",
        )  # fmt: skip

    filename = auto_field("original_filename")
    sha256 = auto_field(validate=SHA256)
    taken_at = UTCDateTime(allow_none=True, metadata={"description": "UTC; null when the file had no capture time"})
    taken_at_local = LocalTime(
        dump_only=True, allow_none=True, metadata={"description": "local time with the offset that applied"}
    )
    caption = auto_field(allow_none=True, metadata={"description": "null: none"})
    alt_text = auto_field(allow_none=True, metadata={"description": "null: none"})
    credit = auto_field(allow_none=True, metadata={"description": "null: none"})
    keywords = fields.List(fields.String(), dump_only=True)
    position = auto_field(
        validate=validate.Range(0, POSITION_MAX), metadata={"description": "place in a manually ordered album"}
    )
    camera = fields.Nested(CameraSchema, dump_only=True)
    derivatives = fields.List(
        fields.Nested(DerivativeSchema), dump_only=True, metadata={"description": "the web sizes made so far"}
    )
    sizes_pending = auto_field(
        dump_only=True, metadata={"description": "true while larger web sizes are still being made (the photo is live)"}
    )
    error = auto_field(metadata=only_for(STAFF, "why processing failed"))
    metadata_error = auto_field(metadata=only_for(STAFF, "why the file's metadata could not be read"))
    taken_at_raw = auto_field(metadata=only_for(STAFF, "the capture time exactly as found in the file"))
    content_type = auto_field(required=False, metadata=only_for(STAFF, "the file type, from its bytes"))
    size = auto_field(required=False, metadata=only_for(STAFF, "bytes"))
    hidden = fields.Function(
        lambda p: p.hidden_reason is not None,
        dump_only=True,
        metadata=only_for(Permission.edit_content, "hidden from visitors (takedown pending, decided, or review)"),
    )
    hidden_reason = auto_field(
        dump_only=True, metadata=only_for(Permission.edit_content, "why: takedown, editor or review; null: shown")
    )
    blur_boxes = fields.List(
        fields.Dict(keys=fields.String(), values=fields.Float()),
        dump_only=True,
        allow_none=True,
        metadata=only_for(
            Permission.edit_content,
            "blurred areas, {x, y, w, h} in fractions of the photo as displayed; null: not blurred "
            "(POST /photos/<id>/blur)",
        ),
    )

    computed: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "camera": lambda photo: photo,  # the camera's fields are the photo's columns
        "derivatives": lambda photo: sorted(photo.derivatives, key=lambda d: (d.format, d.width)),
    }


class PhotoRefSchema(ModelSchema):
    """The same bytes are already in the album as a photo the uploader may not see: only what the
    uploader already knows."""

    class Meta:
        model = Photo
        fields = ("id", "sha256", "status")
        dump_only = fields


class TokenQuerySchema(ma.Schema):
    token = fields.String(metadata={"description": "share token of an unlisted album"})


class PhotoQuerySchema(PageQuerySchema, TokenQuerySchema):
    status = column_field(Photo.status, required=False, metadata={"description": "only photos in this state"})
    credit = column_field(Photo.credit, required=False, metadata={"description": "only photos with this credit"})


class PhotoUploadSchema(ma.Schema):
    """A photo upload: multipart/form-data with the file in the field ``file``."""

    file = Upload(required=True, metadata={"description": "the photo; its type comes from its bytes"})


class UploadHeadersSchema(ma.Schema):
    idempotency_key = column_field(
        IdempotencyKey.key,
        required=False,
        data_key="Idempotency-Key",
        metadata={"description": "a retry with the same key answers as the first upload did"},
    )


@dataclass(frozen=True)
class AlbumWithPhotos:
    """An album and its photos in display order, as :class:`AlbumDetailSchema` shows them."""

    album: Album
    photos: list[Photo]

    @property
    def photo_count(self) -> int:
        return len(self.photos)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.album, name)


class AlbumDetailSchema(AlbumSchema):
    """An album with its photos in display order (staff see unfinished ones too)."""

    class Meta(AlbumSchema.Meta):
        fields = (*AlbumSchema.Meta.fields, "photo_count", "photos")

    photo_count = fields.Integer(dump_only=True, validate=validate.Range(min=0))
    photos = fields.List(fields.Nested(PhotoSchema), dump_only=True)
