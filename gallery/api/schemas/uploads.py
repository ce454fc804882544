"""Resumable uploads (tus 1.0.0): the request headers the protocol defines, read as text (the
tus rules, :mod:`gallery.uploads.tus`, check them and answer with the protocol's status codes);
direct uploads to S3: what starts one, what it answers, what completes it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


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


MAX_PARTS = 10_000  # S3's limit


class DirectUploadStartSchema(ma.Schema):
    """What a direct upload to S3 announces: the file's name, size and SHA-256 (hex)."""

    filename = fields.String(required=True, validate=validate.Length(max=1024))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**62))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))


class PartUrlSchema(ma.Schema):
    number = fields.Integer(required=True, metadata={"description": "the part number, from 1"})
    url = fields.String(required=True, metadata={"description": "PUT the part's bytes here (presigned)"})


class DirectUploadSchema(ma.Schema):
    """A started direct upload: PUT each part to its URL, then POST the parts' ETags to ``complete_url``."""

    id = fields.String(required=True)
    part_size = fields.Integer(required=True, metadata={"description": "bytes per part (the last may be shorter)"})
    parts = fields.List(fields.Nested(PartUrlSchema), required=True)
    complete_url = fields.String(required=True)
    upload_id = fields.String(
        required=True, metadata={"description": "the bucket's multipart upload id (to have requests signed)"}
    )
    sign_url = fields.String(
        required=True,
        metadata={"description": "POST a request (method, upload_id, part_number) here for a presigned URL"},
    )


class PartEtagSchema(ma.Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_PARTS))
    etag = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DirectUploadCompleteSchema(ma.Schema):
    """The ETag the store answered for each part; without ``parts``, the client has completed the
    multipart upload in the bucket itself (through URLs from ``sign``)."""

    parts = fields.List(
        fields.Nested(PartEtagSchema),
        validate=validate.Length(min=1, max=MAX_PARTS),
        metadata={"description": "every part once; leave out when you completed the multipart upload yourself"},
    )


class DirectUploadSignSchema(ma.Schema):
    """One request on the bucket the client wants signed (what @uppy/aws-s3's ``signRequest`` asks)."""

    method = fields.String(
        required=True,
        validate=validate.OneOf(["PUT", "GET", "POST", "DELETE"]),
        metadata={"description": "PUT a part, GET the list of parts, POST the completion, DELETE the abort"},
    )
    upload_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "the multipart upload id (the upload_id this direct upload answered)"},
    )
    part_number = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=MAX_PARTS),
        metadata={"description": "PUT only"},
    )


class SignedRequestSchema(ma.Schema):
    url = fields.String(required=True, metadata={"description": "the presigned URL; send the request there"})
