"""Domain errors raised by services; the web layers map them to HTTP/CLI responses."""

from __future__ import annotations


class GalleryError(Exception):
    """Base class: ``status`` is the HTTP status, ``code`` a stable machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, dict[str, str]]:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class ValidationError(GalleryError):
    status = 422
    code = "validation_error"


class NotFoundError(GalleryError):
    status = 404
    code = "not_found"


class ConflictError(GalleryError):
    status = 409
    code = "conflict"


class PhotoDeleted(ConflictError):
    """The same bytes were deleted from this album: a re-upload does not restore them."""

    code = "deleted"


class PermissionDenied(GalleryError):
    status = 403
    code = "forbidden"


class PayloadTooLarge(GalleryError):
    status = 413
    code = "payload_too_large"


class EmptyFile(GalleryError):
    """An upload of zero bytes."""

    code = "empty_file"


class UnsupportedMediaType(GalleryError):
    status = 415
    code = "unsupported_media_type"


class UnprocessableImage(GalleryError):
    status = 422
    code = "unprocessable_image"


class ServiceUnavailable(GalleryError):
    status = 503
    code = "service_unavailable"


class DecoderBusy(ServiceUnavailable):
    """The process's decoding budget stayed full for the whole wait limit: nothing was
    accepted; the answer carries ``Retry-After: retry_after``."""

    code = "decoder_busy"

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            "the server is busy decoding other large images and nothing was saved: "
            f"try again in {retry_after} s (Retry-After)"
        )
        self.retry_after = retry_after


class BadCursor(GalleryError):
    """A page link's cursor that is broken, out of date or from another list."""

    status = 400
    code = "bad_cursor"
