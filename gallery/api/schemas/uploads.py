"""Resumable uploads (tus 1.0.0): the request headers the protocol defines.  Read as text: the
tus rules (:mod:`gallery.uploads.tus`) check them and answer with the protocol's status codes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


def _header(name: str, description: str) -> fields.String:
    return fields.String(required=False, data_key=name, metadata={"description": description})


class TusHeadersSchema(ma.Schema):
    """The tus headers of a request (all text; unknown headers are ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    tus_resumable = _header("Tus-Resumable", "the protocol version: 1.0.0 (412 otherwise)")
    upload_length = _header("Upload-Length", "creation: the file's size in bytes")
    upload_metadata = _header(
        "Upload-Metadata", "creation: `album` (the album's slug) and `filename`, each as `key base64(value)`"
    )
    upload_offset = _header("Upload-Offset", "PATCH: where these bytes start (the offset HEAD answers)")
    upload_checksum = _header("Upload-Checksum", "`sha1|sha256 base64(digest)` of this request's bytes (460 if not)")
