"""How the API reads a request: webargs' Flask parser (under flask-smorest's ``@bp.arguments``)
with the contract's rules.

A JSON body goes through :func:`gallery.api.util.json_body` (415 without a JSON content type,
400 for a body that is not a JSON object or is nested too deep, 422 naming the field for text
that is not valid Unicode) before the schema sees it.  A value the schema refuses is a 422 in
the contract's shape, ``{"error": {"code": "validation_error", "message": ..., "field": ...}}``,
naming the first field in error (raised as :class:`gallery.core.errors.ValidationError`, so the
application's error handlers answer it like every other error)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
from flask import Request
from webargs.flaskparser import FlaskParser

from gallery.api.util import json_body
from gallery.core.errors import ValidationError

SCHEMA_ERRORS = "_schema"  # marshmallow's key for errors of the whole object
REQUIRED = "Missing data for required field."
UNKNOWN = "Unknown field."


def first_error(messages: Any) -> tuple[str | None, str]:
    """The top-level field and the message of the first error in marshmallow's error messages
    (``{"title": ["..."]}``, nested ``{"albums": {0: ["..."]}}``, or ``{"_schema": ["..."]}``)."""
    field: str | None = None
    node = messages
    while isinstance(node, Mapping) and node:
        key = next(iter(node))
        if field is None and key != SCHEMA_ERRORS:
            field = str(key)
        node = node[key]
    while isinstance(node, list) and node:
        node = node[0]
    return field, str(node) if node else "invalid value"


def error_message(field: str | None, message: str) -> str:
    if field is None:
        return message
    if message == REQUIRED:
        return f"{field} is required"
    if message == UNKNOWN:
        return f"unknown or read-only field: {field}"
    return f"{field}: {message}"


class GalleryParser(FlaskParser):
    """webargs' Flask parser with the contract's JSON rules and error shape."""

    def _raw_load_json(self, req: Request) -> Any:
        return json_body()

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        # webargs namespaces the messages under the location: {"json": {...}}
        messages = error.messages
        if isinstance(messages, Mapping) and len(messages) == 1:
            messages = next(iter(messages.values()))
        field, message = first_error(messages)
        raise ValidationError(error_message(field, message), field=field)
