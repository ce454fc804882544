"""The OpenAPI 3 document of ``/api/v1``, built with apispec.

Tests keep it true: every API route is documented (and nothing else), the
document validates, and real responses validate against the schemas here."""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec
from flask import current_app, jsonify
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.spec import generate

NULLABLE_STRING = {"type": "string", "nullable": True}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "validation_error"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "EventCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "starts_on", "ends_on", "timezone"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "timezone": {"type": "string", "description": "IANA time zone", "example": "Europe/Brussels"},
            "location": {"type": "string", "maxLength": 300},
            "description": {"type": "string", "maxLength": 20000},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 120},
        },
    },
    "Event": {
        "type": "object",
        "required": ["slug", "title", "starts_on", "ends_on", "timezone", "location", "description", "url"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "timezone": {"type": "string"},
            "location": {"type": "string"},
            "description": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "AlbumCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 120},
            "visibility": {"type": "string", "enum": ["public", "unlisted", "private"], "default": "public"},
            "description": {"type": "string", "maxLength": 20000},
            "sort_mode": {"type": "string", "enum": ["capture_time", "manual"], "default": "capture_time"},
            "original_downloads": {
                "type": "string",
                "enum": ["off", "without_location", "exact"],
                "default": "off",
                "description": "`exact` serves originals with their location data (GPS) intact.",
            },
        },
    },
    "Album": {
        "type": "object",
        "required": ["slug", "event", "title", "description", "visibility", "sort_mode", "url"],
        "properties": {
            "slug": {"type": "string"},
            "event": {"type": "string", "description": "slug of the event"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "visibility": {"type": "string", "enum": ["public", "unlisted", "private"]},
            "sort_mode": {"type": "string", "enum": ["capture_time", "manual"]},
            "url": {"type": "string", "format": "uri"},
            "original_downloads": {
                "type": "string",
                "enum": ["off", "without_location", "exact"],
                "description": "editors only",
            },
            "share_url": {"type": "string", "format": "uri", "description": "editors only"},
            "photo_count": {"type": "integer", "minimum": 0},
            "photos": {"type": "array", "items": {"$ref": "#/components/schemas/Photo"}},
        },
    },
    "Derivative": {
        "type": "object",
        "required": ["width", "height", "format", "url"],
        "properties": {
            "width": {"type": "integer", "minimum": 1},
            "height": {"type": "integer", "minimum": 1},
            "format": {"type": "string", "enum": ["jpeg", "webp"]},
            "url": {"type": "string"},
        },
    },
    "Camera": {
        "type": "object",
        "properties": {
            "make": NULLABLE_STRING,
            "model": NULLABLE_STRING,
            "lens": NULLABLE_STRING,
            "focal_length_mm": {"type": "number", "nullable": True},
            "aperture": {"type": "number", "nullable": True},
            "exposure_time": NULLABLE_STRING,
            "iso": {"type": "integer", "nullable": True},
        },
    },
    "Photo": {
        "type": "object",
        "required": [
            "id",
            "filename",
            "sha256",
            "taken_at",
            "taken_at_local",
            "taken_at_source",
            "width",
            "height",
            "caption",
            "alt_text",
            "credit",
            "status",
            "derivatives",
        ],
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "taken_at": {"type": "string", "format": "date-time", "nullable": True, "description": "UTC"},
            "taken_at_local": {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": "local time with the offset that applied",
            },
            "taken_at_source": {
                "type": "string",
                "enum": ["exif_original", "exif_digitized", "exif_datetime", "xmp", "upload"],
            },
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "title": {"type": "string"},
            "caption": {"type": "string"},
            "alt_text": {"type": "string"},
            "credit": {"type": "string"},
            "copyright": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string", "enum": ["processing", "ready", "failed"]},
            "position": {"type": "integer", "nullable": True},
            "camera": {"$ref": "#/components/schemas/Camera"},
            "derivatives": {"type": "array", "items": {"$ref": "#/components/schemas/Derivative"}},
            "error": {"type": "string", "nullable": True, "description": "staff only"},
            "metadata_error": {"type": "string", "nullable": True, "description": "staff only"},
            "taken_at_raw": {"type": "string", "nullable": True, "description": "staff only"},
            "content_type": {"type": "string", "description": "staff only"},
            "size": {"type": "integer", "description": "staff only"},
        },
    },
    "PhotoRef": {
        "type": "object",
        "description": "the same bytes are already in the album as a photo the uploader may not see: "
        "only what the uploader already knows",
        "required": ["id", "sha256", "status"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "status": {"type": "string", "enum": ["processing", "ready", "failed"]},
        },
    },
    "PhotoUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "caption": {"type": "string", "maxLength": 10000},
            "alt_text": {"type": "string", "maxLength": 2000},
            "credit": {"type": "string", "maxLength": 1000},
            "position": {"type": "integer", "minimum": 0, "maximum": 1000000, "nullable": True},
        },
    },
    "Cameras": {
        "type": "object",
        "required": ["event", "cameras"],
        "properties": {
            "event": {"type": "string"},
            "cameras": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["make", "model", "serial", "photos", "offset_seconds"],
                    "properties": {
                        "make": {"type": "string"},
                        "model": {"type": "string"},
                        "serial": {"type": "string"},
                        "photos": {"type": "integer"},
                        "first_taken_at": {"type": "string", "format": "date-time", "nullable": True},
                        "last_taken_at": {"type": "string", "format": "date-time", "nullable": True},
                        "offset_seconds": {"type": "integer"},
                    },
                },
            },
        },
    },
    "ClockCorrectionRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["model", "offset_seconds"],
        "properties": {
            "make": {"type": "string", "maxLength": 255},
            "model": {"type": "string", "minLength": 1, "maxLength": 255},
            "serial": {"type": "string", "maxLength": 255, "description": "empty: every body of this make and model"},
            "offset_seconds": {
                "type": "integer",
                "minimum": -315360000,
                "maximum": 315360000,
                "description": "total correction; positive when the camera was behind",
            },
            "preview": {"type": "boolean", "default": False, "description": "only show what would change"},
        },
    },
    "ClockCorrection": {
        "type": "object",
        "required": ["camera", "offset_seconds", "changed", "photos"],
        "properties": {
            "camera": {"type": "object"},
            "offset_seconds": {"type": "integer"},
            "changed": {"type": "integer"},
            "photos": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "album": {"type": "string"},
                        "filename": {"type": "string"},
                        "taken_at_before": {"type": "string", "format": "date-time", "nullable": True},
                        "taken_at_after": {"type": "string", "format": "date-time", "nullable": True},
                    },
                },
            },
        },
    },
    "PhotoUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


JSON_ERRORS = {"400": _error("the body is not a JSON object"), "415": _error("send Content-Type: application/json")}


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


BEARER = [{"bearer": []}]
AUTH_ERRORS = {"401": _error("missing or invalid token"), "403": _error("your role may not do this")}
TOKEN_PARAM = {
    "name": "token",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "share token of an unlisted album",
}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


SLUG = {"type": "string"}
PHOTO_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def build_spec(server_url: str = "/api/v1") -> dict[str, Any]:
    spec = APISpec(
        title="Gallery API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={
            "description": "Events, albums and photos of a Gallery instance. "
            "Authenticate with `Authorization: Bearer TOKEN` (tokens: `gallery create-token EMAIL`). "
            'Errors are `{"error": {"code": "...", "message": "..."}}`.'
        },
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)

    spec.path(
        path="/events",
        operations={
            "post": {
                "operationId": "createEvent",
                "summary": "Create an event",
                "security": BEARER,
                "requestBody": _json_body("EventCreate"),
                "responses": {
                    "201": _ok("the event", "Event"),
                    **JSON_ERRORS,
                    **AUTH_ERRORS,
                    "409": _error("slug taken"),
                    "422": _error("invalid field"),
                },
            }
        },
    )
    spec.path(
        path="/events/{event}/albums",
        operations={
            "post": {
                "operationId": "createAlbum",
                "summary": "Create an album in an event",
                "security": BEARER,
                "parameters": [_path_param("event", SLUG)],
                "requestBody": _json_body("AlbumCreate"),
                "responses": {
                    "201": _ok("the album", "Album"),
                    **JSON_ERRORS,
                    **AUTH_ERRORS,
                    "404": _error("no such event"),
                    "409": _error("slug taken"),
                    "422": _error("invalid field"),
                },
            }
        },
    )
    spec.path(
        path="/events/{event}/cameras",
        operations={
            "get": {
                "operationId": "listCameras",
                "summary": "Cameras seen in an event, with their clock corrections",
                "security": BEARER,
                "parameters": [_path_param("event", SLUG)],
                "responses": {"200": _ok("cameras", "Cameras"), **AUTH_ERRORS, "404": _error("no such event")},
            }
        },
    )
    spec.path(
        path="/events/{event}/clock-corrections",
        operations={
            "post": {
                "operationId": "correctCameraClock",
                "summary": "Correct a camera's clock for an event (recomputes capture times)",
                "security": BEARER,
                "parameters": [_path_param("event", SLUG)],
                "requestBody": _json_body("ClockCorrectionRequest"),
                "responses": {
                    "200": _ok("the photos affected", "ClockCorrection"),
                    **JSON_ERRORS,
                    **AUTH_ERRORS,
                    "404": _error("no such event"),
                    "422": _error("invalid field"),
                },
            }
        },
    )
    spec.path(
        path="/albums/{album}",
        operations={
            "get": {
                "operationId": "getAlbum",
                "summary": "An album with its photos in display order",
                "security": [{}, *BEARER],
                "parameters": [_path_param("album", SLUG), TOKEN_PARAM],
                "responses": {
                    "200": _ok("the album", "Album"),
                    "401": _error("invalid token"),
                    "404": _error("no such album, or not visible to you"),
                },
            }
        },
    )
    spec.path(
        path="/albums/{album}/photos",
        operations={
            "post": {
                "operationId": "uploadPhoto",
                "summary": "Upload a photo (multipart field `file`)",
                "description": "201 for a new photo; 200 with the existing photo when the same bytes are "
                "already in the album. An `Idempotency-Key` header makes retries return the first answer.",
                "security": BEARER,
                "parameters": [
                    _path_param("album", SLUG),
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 255},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/PhotoUpload"}}},
                },
                "responses": {
                    "200": {
                        "description": "the same bytes were already in the album: the photo, or only its "
                        "id, sha256 and status when the uploader may not see it",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "anyOf": [
                                        {"$ref": "#/components/schemas/Photo"},
                                        {"$ref": "#/components/schemas/PhotoRef"},
                                    ]
                                }
                            }
                        },
                    },
                    "201": _ok("the new photo", "Photo"),
                    "400": _error("no file field, or an empty file"),
                    **AUTH_ERRORS,
                    "404": _error("no such album"),
                    "409": _error("code `deleted`: the same bytes were deleted from this album; "
                    "an editor restores them from the bin, a re-upload does not"),
                    "413": _error("larger than GALLERY_MAX_UPLOAD_MB"),
                    "415": _error("not a JPEG, PNG, WebP, TIFF, HEIC/HEIF or AVIF image"),
                    "422": _error("too many pixels, or the image cannot be decoded"),
                    "503": _error("storage or database unavailable; nothing was saved"),
                },
            }
        },
    )
    photo_param = [_path_param("photo_id", PHOTO_ID)]
    spec.path(
        path="/photos/{photo_id}",
        operations={
            "get": {
                "operationId": "getPhoto",
                "summary": "A photo",
                "security": [{}, *BEARER],
                "parameters": [*photo_param, TOKEN_PARAM],
                "responses": {
                    "200": _ok("the photo", "Photo"),
                    "401": _error("invalid token"),
                    "404": _error("no such photo, or not visible to you"),
                },
            },
            "patch": {
                "operationId": "updatePhoto",
                "summary": "Edit caption, alt text, credit or manual position",
                "security": BEARER,
                "parameters": photo_param,
                "requestBody": _json_body("PhotoUpdate"),
                "responses": {
                    "200": _ok("the photo", "Photo"),
                    **JSON_ERRORS,
                    **AUTH_ERRORS,
                    "404": _error("no such photo"),
                    "422": _error("invalid field"),
                },
            },
            "delete": {
                "operationId": "deletePhoto",
                "summary": "Delete a photo (soft: restorable for 30 days)",
                "security": BEARER,
                "parameters": photo_param,
                "responses": {"204": {"description": "deleted"}, **AUTH_ERRORS, "404": _error("no such photo")},
            },
        },
    )
    spec.path(
        path="/openapi.json",
        operations={
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}}},
            }
        },
    )
    return spec.to_dict()


def _renamed_refs(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in renamed:
            return {**node, "$ref": "#/components/schemas/" + renamed[ref.rsplit("/", 1)[-1]]}
        return {k: _renamed_refs(v, renamed) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(v, renamed) for v in node]
    return node


def merged_spec() -> dict[str, Any]:
    """The generated document (:mod:`gallery.api.spec`) with the operations above for the routes
    not converted to schemas yet (their hand-written components renamed ``Legacy…`` where the
    generated ones have the same name)."""
    doc = copy.deepcopy(generate())
    legacy = build_spec()
    schemas = doc["components"].setdefault("schemas", {})
    renamed = {name: f"Legacy{name}" for name in legacy["components"]["schemas"] if name in schemas}
    legacy = _renamed_refs(legacy, renamed)
    for name, schema in legacy["components"]["schemas"].items():
        schemas.setdefault(renamed.get(name, name), schema)
    for path, operations in legacy["paths"].items():
        doc["paths"].setdefault(path, {}).update(operations)
    return doc


@bp.get("/openapi.json")
def openapi_document() -> Response:
    cache = current_app.extensions.setdefault("gallery_openapi", {})
    if "spec" not in cache:
        cache["spec"] = merged_spec()
    return jsonify(cache["spec"])
