"""Small helpers shared by the management views."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from gallery.core.errors import GalleryError, ValidationError


def wants_json() -> bool:
    """A fetch() from the management scripts (they send ``Accept: application/json``)."""
    return request.accept_mimetypes.best == "application/json"


def json_error(exc: GalleryError, **extra: Any) -> tuple[Response, int]:
    error: dict[str, Any] = dict(exc.to_dict()["error"])
    error.update(extra)
    return jsonify({"error": error}), exc.status


def int_list(values: list[str], *, field: str) -> list[int]:
    """Form values that must be photo/album ids."""
    out = []
    for value in values:
        value = value.strip()
        if not value.isdigit() or len(value) > 10 or not 0 < int(value) < 2**31:
            raise ValidationError(f"{value[:20]!r} is not an id", field=field)
        out.append(int(value))
    return out


def parse_int(value: str | None, *, field: str, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
    text = (value or "").strip()
    if not text.lstrip("-").isdigit() or len(text) > 11 or not minimum <= int(text) <= maximum:
        raise ValidationError(f"use a whole number from {minimum} to {maximum}", field=field)
    return int(text)
