from __future__ import annotations

import json
from typing import Any

from flask import request

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


def reject_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
