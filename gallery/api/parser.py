"""How the API reads a request: webargs' Flask parser (under flask-smorest's ``@bp.arguments``)
with the contract's rules.

A JSON body goes through :func:`json_body` (415 without a JSON content type,
400 for a body that is not a JSON object or is nested too deep, 422 naming the field for text
that is not valid Unicode) before the schema sees it.  A value the schema refuses is a 422 in
the contract's shape, ``{"error": {"code": "validation_error", "message": ..., "field": ...}}``,
naming the first field in error (raised as :class:`gallery.core.errors.ValidationError`, so the
application's error handlers answer it like every other error)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
from flask import Request, request
from webargs.flaskparser import FlaskParser

from gallery.core.errors import GalleryError, UnsupportedMediaType, ValidationError

#: Deeper bodies are refused before any view sees them (no endpoint needs more than a few levels).
MAX_JSON_DEPTH = 32


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 4xx: 415 without a JSON content type, 400 for a body
    that is not a JSON object (malformed, not UTF-8, nested deeper than ``MAX_JSON_DEPTH``),
    422 for text that is not valid Unicode (lone surrogates such as ``"\\ud800"``)."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON object with Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise GalleryError(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # also UnicodeDecodeError: the body is not UTF-8
        raise GalleryError("the request body is not valid JSON in UTF-8") from None
    if not isinstance(data, dict):
        raise GalleryError("the request body is not a JSON object", code="bad_request")
    check_json_text(data)
    return data


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json_text(data: dict[str, Any]) -> None:
    """Refuse what JSON can carry but no database or page can: lone surrogates (in keys or
    values) and nesting deeper than ``MAX_JSON_DEPTH``.  Iterative, so no input recurses."""
    stack: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise GalleryError(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            if _has_surrogate(value):
                raise ValidationError(
                    "the text contains a lone surrogate (\\ud800–\\udfff), which is not valid Unicode",
                    field=field,
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    raise GalleryError("a field name contains a lone surrogate, which is not valid Unicode")
                stack.append((item, depth + 1, field if field is not None else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)


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
