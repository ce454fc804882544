"""Takedown requests, decisions and tombstones (the consent domain)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gallery.api.schemas.base import ModelSchema, UTCDateTime, column_field
from gallery.consent.models import Decision, TakedownRequest
from gallery.consent.requests import BOXES_MAX


class BoxSchema(ma.Schema):
    """A box in fractions (0..1) of the photo as displayed (after EXIF rotation)."""

    x = fields.Float(required=True, validate=validate.Range(0, 1), metadata={"description": "left edge"})
    y = fields.Float(required=True, validate=validate.Range(0, 1), metadata={"description": "top edge"})
    w = fields.Float(
        required=True, validate=validate.Range(0, 1, min_inclusive=False), metadata={"description": "width"}
    )
    h = fields.Float(
        required=True, validate=validate.Range(0, 1, min_inclusive=False), metadata={"description": "height"}
    )


def _boxes(description: str) -> fields.List:
    return fields.List(
        fields.Nested(BoxSchema), validate=validate.Length(max=BOXES_MAX), metadata={"description": description}
    )


class TakedownRequestInSchema(ma.Schema):
    """A request about a photo: hide it, blur someone in it, erase it, or something else."""

    action = column_field(TakedownRequest.action, required=True)
    reason = column_field(TakedownRequest.reason, required=False, allow_none=True, metadata={"description": "why"})
    email = column_field(
        TakedownRequest.email,
        required=False,
        allow_none=True,
        metadata={"description": "to hear the decision; forgotten 30 days after it"},
    )
    boxes = _boxes("for blur: the areas to blur")


class TakedownReceiptSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "open"})


class TakedownRequestSchema(ModelSchema):
    """A takedown request, for editors: what was asked, what happened, and the decision."""

    class Meta:
        model = TakedownRequest
        fields = (
            "id", "status", "action", "photo_id", "sha256", "boxes", "reason", "email", "autohidden", "created_at",
            "decision", "decided_at", "history",
        )  # fmt: skip
        dump_only = fields
        include_fk = True

    created_at = UTCDateTime(dump_only=True)
    decided_at = UTCDateTime(dump_only=True, allow_none=True)
    boxes = _boxes("fractions of the photo as displayed")
    history = fields.List(fields.Dict(), dump_only=True, metadata={"description": "every step, oldest first"})


class TakedownQuerySchema(ma.Schema):
    status = column_field(TakedownRequest.status, required=False, metadata={"description": "open or decided"})


class DecisionSchema(ma.Schema):
    """An editor's decision: restore (photo back), blur (these boxes, or the requested ones), hide
    (for good), or erase (the image everywhere, with a tombstone)."""

    action = fields.String(required=True, validate=validate.OneOf([d.value for d in Decision]))
    boxes = _boxes("for blur: fractions of the image; the requested boxes when left out")
