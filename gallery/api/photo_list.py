"""An album's photos, a page at a time (uploading and the single photo are in :mod:`gallery.api.photos`)."""

from __future__ import annotations

from typing import Any

from gallery.api.access import errors, public
from gallery.api.blueprint import bp
from gallery.api.schemas.base import page_of
from gallery.api.schemas.photos import PhotoQuerySchema, PhotoSchema
from gallery.core.pages import Page
from gallery.http import context
from gallery.http.viewer import current_viewer
from gallery.models import Photo
from gallery.photos.listing import album_photos


@bp.route("/albums/<album>/photos", methods=["GET"])
@public
@bp.arguments(PhotoQuerySchema, location="query")
@bp.response(200, page_of(PhotoSchema))
@errors((400, "the cursor is broken"), (404, "no such album, or not visible to you"), (422, "invalid query argument"))
def list_photos(args: dict[str, Any], album: str) -> Page[Photo]:
    """List an album's photos

    In display order (capture time, undated last, or the editor's manual order); staff see
    unfinished photos too.  `token`: the share token of an unlisted album."""
    args.pop("token", None)  # read by current_viewer()
    return album_photos(context.db_session(), album, viewer=current_viewer(), **args)
