"""The body of ``POST /api/v1/photos/<id>/blur`` and the answer of ``GET /api/v1/photos/<id>/faces``."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gallery.api.schemas.takedowns import BoxSchema
from gallery.media.blur import MAX_BOXES


class BlurSchema(ma.Schema):
    """The areas to blur in every web size, in fractions of the photo as displayed (after EXIF
    rotation); an empty list takes the blur away.  The original is never changed."""

    boxes = fields.List(
        fields.Nested(BoxSchema),
        required=True,
        validate=validate.Length(max=MAX_BOXES),
        metadata={"description": "the boxes to blur; [] removes the blur"},
    )


class FacesSchema(ma.Schema):
    """Suggested boxes around the faces found in the photo (OpenCV's bundled detector), in fractions
    of the photo as displayed, left to right: a starting point for ``POST /photos/<id>/blur``."""

    boxes = fields.List(fields.Nested(BoxSchema), required=True)
