"""Cameras of an event and their clock corrections."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import ModelSchema, StrictBoolean, UTCDateTime, WholeNumber
from gallery.models import ClockCorrection
from gallery.photos.clock import MAX_OFFSET

MAX_OFFSET_SECONDS = int(MAX_OFFSET.total_seconds())


class CameraSchema(ModelSchema):
    """A camera body: make, model and serial as the files name it (empty when they do not)."""

    class Meta:
        model = ClockCorrection
        fields: tuple[str, ...] = ("make", "model", "serial")

    make = auto_field("camera_make", allow_none=True, metadata={"description": "null: empty"})
    model = auto_field(
        "camera_model", required=True, validate=validate.Regexp(r"\s*\S"), metadata={"description": "not blank"}
    )
    serial = auto_field(
        "camera_serial", allow_none=True, metadata={"description": "empty: every body of this make and model"}
    )


class EventCameraSchema(ma.Schema):
    """A camera seen in the event: its photos, their time range and its correction."""

    make = fields.String(attribute="camera.make", required=True)
    model = fields.String(attribute="camera.model", required=True)
    serial = fields.String(attribute="camera.serial", required=True)
    photos = fields.Integer(required=True)
    first_taken_at = UTCDateTime(attribute="first", allow_none=True)
    last_taken_at = UTCDateTime(attribute="last", allow_none=True)
    offset_seconds = fields.Integer(required=True)


class CamerasSchema(ma.Schema):
    event = fields.String(required=True, metadata={"description": "slug of the event"})
    cameras = fields.List(fields.Nested(EventCameraSchema), required=True)


class ClockCorrectionRequestSchema(CameraSchema):
    """Correct a camera's clock: every photo it took in the event moves by ``offset_seconds``."""

    class Meta(CameraSchema.Meta):
        fields = (*CameraSchema.Meta.fields, "offset_seconds", "preview")

    offset_seconds = WholeNumber(
        required=True,
        validate=validate.Range(-MAX_OFFSET_SECONDS, MAX_OFFSET_SECONDS),
        metadata={"description": "total correction; positive when the camera was behind"},
    )
    preview = StrictBoolean(load_default=False, metadata={"description": "only show what would change"})


class ClockPhotoSchema(ma.Schema):
    id = fields.Integer(attribute="photo_id", required=True)
    album = fields.String(attribute="album_slug", required=True)
    filename = fields.String(required=True)
    taken_at_before = UTCDateTime(attribute="before", allow_none=True)
    taken_at_after = UTCDateTime(attribute="after", allow_none=True)


class CameraNameSchema(ma.Schema):
    make = fields.String(required=True)
    model = fields.String(required=True)
    serial = fields.String(required=True)


class ClockCorrectionSchema(ma.Schema):
    """The photos the correction moves (or would move, with ``preview``) and how many it changed."""

    camera = fields.Nested(CameraNameSchema, required=True)
    offset_seconds = fields.Integer(required=True)
    changed = fields.Integer(required=True, metadata={"description": "0 for a preview"})
    photos = fields.List(fields.Nested(ClockPhotoSchema), required=True)
