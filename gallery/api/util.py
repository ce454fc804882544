from __future__ import annotations

from typing import Any

from flask import request

from ..errors import GalleryError, UnsupportedMediaType, ValidationError


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON object with Content-Type: application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise GalleryError("the request body is not a JSON object", code="bad_request")
    return data


def reject_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
