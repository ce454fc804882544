"""The album upload page: drag-and-drop with per-file progress (JS), and a plain
multi-file form that works without JavaScript.  Both call the ingest service."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from gallery.catalog import events as catalog
from gallery.core.errors import GalleryError, PhotoDeleted
from gallery.core.permissions import Permission
from gallery.extensions import db
from gallery.http.guard import current_actor, requires
from gallery.http.request import received_from
from gallery.manage.blueprint import bp
from gallery.photos.ingest import ingest
from gallery.photos.received import spool
from gallery.tasks import enqueue_derivatives

MAX_FILES_PER_FORM = 500


@dataclass(frozen=True)
class UploadResult:
    filename: str
    outcome: str  # added | exists | deleted | rejected
    message: str
    photo_id: int | None = None
    status: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "outcome": self.outcome,
            "message": self.message,
            "photo_id": self.photo_id,
            "status": self.status,
        }


def _ingest_one(album_slug: str, file: FileStorage) -> UploadResult:
    settings = current_app.config["GALLERY_SETTINGS"]
    name = file.filename or _("(unnamed file)")
    album = catalog.get_album(db.session, album_slug)
    received = received_from(file) or spool(file.stream, max_bytes=settings.max_upload_bytes)
    try:
        if received.size > settings.max_upload_bytes:
            return UploadResult(name, "rejected", _("larger than the limit of %(mb)s MB", mb=settings.max_upload_mb))
        if received.size == 0:
            return UploadResult(name, "rejected", _("the file is empty"))
        outcome = ingest(
            db.session,
            current_app.extensions["gallery_storage"],
            album=album,
            received=received,
            filename=file.filename,
            actor=current_actor(),
            max_pixels=settings.max_pixels,
        )
    except PhotoDeleted:
        db.session.rollback()
        return UploadResult(
            name,
            "deleted",
            _(
                "deleted from this album earlier; uploading it again does not bring it back: "
                "an editor can restore it from the bin (Deleted photos)"
            ),
        )
    except GalleryError as exc:
        db.session.rollback()
        return UploadResult(name, "rejected", exc.message)
    finally:
        received.cleanup()
    photo_id = outcome.photo.id
    db.session.rollback()  # the derivative task commits in its own session
    if outcome.needs_derivatives:
        enqueue_derivatives(photo_id)
    from gallery.models import Photo

    photo = db.session.get(Photo, photo_id)
    status = photo.status.value if photo is not None else ""
    if outcome.created:
        return UploadResult(name, "added", _("added"), photo_id, status)
    return UploadResult(name, "exists", _("already in this album"), photo_id, status)


@bp.route("/albums/<album>/upload", methods=["GET", "POST"])
@requires(Permission.upload)
def upload(album: str) -> Response | str | tuple[str, int]:
    target = catalog.get_album(db.session, album)
    settings = current_app.config["GALLERY_SETTINGS"]
    if request.method == "GET":
        return render_template("manage/upload.html", album=target, max_mb=settings.max_upload_mb, results=None)
    files = [f for f in request.files.getlist("files") if f and (f.filename or f.content_length)]
    wants_json = request.accept_mimetypes.best == "application/json"
    if not files:
        message = _("Choose at least one photo.")
        if wants_json:
            return jsonify({"error": {"code": "missing_file", "message": message}}), 400  # type: ignore[return-value]
        return render_template("manage/upload.html", album=target, max_mb=settings.max_upload_mb, results=None, error=message), 400
    if len(files) > MAX_FILES_PER_FORM:
        message = _("At most %(n)d files per upload.", n=MAX_FILES_PER_FORM)
        return render_template("manage/upload.html", album=target, max_mb=settings.max_upload_mb, results=None, error=message), 400
    slug = target.slug
    results = [_ingest_one(slug, f) for f in files]
    if wants_json:
        outcomes = {r.outcome for r in results}
        status = 422 if "rejected" in outcomes else 409 if "deleted" in outcomes else 200
        return jsonify({"results": [r.to_dict() for r in results]}), status  # type: ignore[return-value]
    target = catalog.get_album(db.session, slug)
    return render_template("manage/upload.html", album=target, max_mb=settings.max_upload_mb, results=results)
