"""The domain errors (gallery/core/errors.py): each says its HTTP status and stable code, and turns into the
contract's ``{"error": {"code", "message", "field"?}}``."""

from __future__ import annotations

import pytest

from gallery.core import errors
from gallery.core.errors import (
    ConflictError,
    DecoderBusy,
    EmptyFile,
    GalleryError,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    PhotoDeleted,
    ServiceUnavailable,
    UnprocessableImage,
    UnsupportedMediaType,
    ValidationError,
)


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (GalleryError, 400, "bad_request"),
        (ValidationError, 422, "validation_error"),
        (NotFoundError, 404, "not_found"),
        (ConflictError, 409, "conflict"),
        (PhotoDeleted, 409, "deleted"),
        (PermissionDenied, 403, "forbidden"),
        (PayloadTooLarge, 413, "payload_too_large"),
        (EmptyFile, 400, "empty_file"),
        (UnsupportedMediaType, 415, "unsupported_media_type"),
        (UnprocessableImage, 422, "unprocessable_image"),
        (ServiceUnavailable, 503, "service_unavailable"),
    ],
)
def test_status_and_code(cls: type[GalleryError], status: int, code: str) -> None:
    error = cls("what went wrong")
    assert (error.status, error.code, error.message, str(error)) == (status, code, "what went wrong", "what went wrong")
    assert error.to_dict() == {"error": {"code": code, "message": "what went wrong"}}


def test_every_error_of_the_module_is_a_gallery_error_with_a_status_and_code() -> None:
    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception)]
    assert len(classes) == 13
    for cls in classes:
        assert issubclass(cls, GalleryError), cls
        assert 400 <= cls.status < 600 and cls.code and cls.code == cls.code.lower(), cls


def test_the_field_and_a_specific_code_are_carried() -> None:
    error = ValidationError("title is required", field="title")
    assert error.to_dict() == {"error": {"code": "validation_error", "message": "title is required", "field": "title"}}
    renamed = NotFoundError("no such sitemap", code="no_sitemap")
    assert renamed.code == "no_sitemap" and NotFoundError.code == "not_found"  # the class keeps its own
    assert renamed.status == 404


def test_a_deleted_photo_is_a_conflict() -> None:
    with pytest.raises(ConflictError):
        raise PhotoDeleted("deleted earlier")


def test_decoder_busy_says_when_to_retry() -> None:
    busy = DecoderBusy(retry_after=12)
    assert isinstance(busy, ServiceUnavailable)
    assert (busy.status, busy.code, busy.retry_after) == (503, "decoder_busy", 12)
    assert "nothing was saved" in busy.message and "try again in 12 s (Retry-After)" in busy.message
