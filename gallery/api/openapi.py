"""``GET /api/v1/openapi.json``: the OpenAPI 3 document of the API, generated from the routes and
their schemas (:mod:`gallery.api.spec`).

Tests keep it true: every API route is documented (and nothing else), the document validates,
real responses validate against it, and schemathesis finds no answer that disagrees with it."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from marshmallow import fields
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.spec import generate


class OpenApiDocumentSchema(ma.Schema):
    """An OpenAPI 3 document (https://spec.openapis.org/oas/v3.0.3)."""

    class Meta:
        unknown = ma.INCLUDE

    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)
    components = fields.Dict()


@bp.route("/openapi.json", methods=["GET"])
@bp.doc(security=[{}])
@bp.response(200, OpenApiDocumentSchema, description="OpenAPI 3 document")
def openapi_document() -> Response:
    """This document"""
    return jsonify(generate())
