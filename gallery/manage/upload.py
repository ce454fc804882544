"""The album upload page: drag-and-drop with per-file progress (JS), and a plain
multi-file form that works without JavaScript.  Each file goes through
:func:`gallery.photos.receive.receive`; the page words its answer per file.  With JavaScript the
page's Uppy sends the bytes with tus, or straight to the bucket when originals live in S3 (the
page's Content-Security-Policy then lets it connect to the bucket's origin)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from gallery.catalog import albums
from gallery.core.errors import DecoderBusy, EmptyFile, GalleryError, PayloadTooLarge, PhotoDeleted
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor, requires
from gallery.http.request import received_from
from gallery.http.security import allow_connect
from gallery.manage.blueprint import bp
from gallery.models import Album
from gallery.photos.receive import receive
from gallery.photos.received import spool
from gallery.tasks import enqueue_derivatives
from gallery.uploads import direct

MAX_FILES_PER_FORM = 500


@dataclass(frozen=True)
class UploadResult:
    filename: str
    outcome: str  # added | exists | deleted | rejected | busy (the server was busy: nothing saved, send it again)
    message: str
    photo_id: int | None = None
    status: str = ""
    retry_after: int | None = None  # busy: seconds until a retry is worth it

    def to_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "outcome": self.outcome,
            "message": self.message,
            "photo_id": self.photo_id,
            "status": self.status,
        }


def _receive_one(album_slug: str, file: FileStorage) -> UploadResult:
    settings = context.settings()
    name = file.filename or _("(unnamed file)")
    album = albums.get_album(context.db_session(), album_slug)
    try:
        receipt = receive(
            context.db_session(),
            context.storage(),
            received_from(file) or spool(file.stream, max_bytes=settings.max_upload_bytes),
            filename=file.filename,
            album=album,
            actor=current_actor(),
            settings=settings,
            derivatives=enqueue_derivatives,
        )
    except PayloadTooLarge:
        return UploadResult(name, "rejected", _("larger than the limit of %(mb)s MB", mb=settings.max_upload_mb))
    except EmptyFile:
        return UploadResult(name, "rejected", _("the file is empty"))
    except PhotoDeleted:
        return UploadResult(
            name,
            "deleted",
            _(
                "deleted from this album earlier; uploading it again does not bring it back: "
                "an editor can restore it from the bin (Deleted photos)"
            ),
        )
    except DecoderBusy as exc:
        message = _(
            "The server is busy with other large images; nothing was saved. Please try again in %(seconds)s seconds.",
            seconds=exc.retry_after,
        )
        return UploadResult(name, "busy", message, retry_after=exc.retry_after)
    except GalleryError as exc:
        return UploadResult(name, "rejected", exc.message)
    photo = receipt.photo
    outcome, message = ("added", _("added")) if receipt.created else ("exists", _("already in this album"))
    return UploadResult(name, outcome, message, photo.id, photo.status.value)


def _json_status(outcomes: set[str]) -> int:
    """The status of the page's JSON answer: 503 (with Retry-After) when the server was too busy for
    a file, then 422 for a rejected one, 409 for one deleted earlier, else 200."""
    for outcome, status in (("busy", 503), ("rejected", 422), ("deleted", 409)):
        if outcome in outcomes:
            return status
    return 200


def _page(target: Album, results: list[UploadResult] | None, error: str | None = None) -> str:
    """The page; when originals live in S3 its Uppy sends the bytes straight to the bucket."""
    bucket = direct.page_origin(context.storage())
    allow_connect(bucket)
    return render_template(
        "manage/upload.html",
        album=target,
        max_mb=context.settings().max_upload_mb,
        results=results,
        error=error,
        direct=bucket is not None,
    )


@bp.route("/albums/<album>/upload", methods=["GET", "POST"])
@requires(Permission.upload)
def upload(album: str) -> Response | str | tuple[str, int] | tuple[Response, int]:
    target = albums.get_album(context.db_session(), album)
    if request.method == "GET":
        return _page(target, None)
    files = [f for f in request.files.getlist("files") if f and (f.filename or f.content_length)]
    wants_json = request.accept_mimetypes.best == "application/json"
    if not files:
        message = _("Choose at least one photo.")
        if wants_json:
            return jsonify({"error": {"code": "missing_file", "message": message}}), 400
        return _page(target, None, message), 400
    if len(files) > MAX_FILES_PER_FORM:
        message = _("At most %(n)d files per upload.", n=MAX_FILES_PER_FORM)
        return _page(target, None, message), 400
    slug = target.slug
    results = [_receive_one(slug, f) for f in files]
    if wants_json:
        response = jsonify({"results": [r.to_dict() for r in results]})
        response.status_code = _json_status({r.outcome for r in results})
        busy = [r.retry_after for r in results if r.retry_after is not None]
        if busy:
            response.headers["Retry-After"] = str(max(busy))
        return response
    target = albums.get_album(context.db_session(), slug)
    return _page(target, results)
