"""Albums: list an event's, change, delete (creating and reading one are in
:mod:`gallery.api.events` and :mod:`gallery.api.photos`)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.base import page_of
from gallery.api.schemas.events import AlbumQuerySchema, AlbumSchema
from gallery.catalog import albums
from gallery.core.pages import Page
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.media_urls import cdn_purge
from gallery.http.viewer import current_viewer
from gallery.models import Album


@bp.route("/events/<event>/albums", methods=["GET"])
@public
@bp.arguments(AlbumQuerySchema, location="query")
@bp.response(200, page_of(AlbumSchema))
@errors((400, "the cursor is broken"), (404, "no such event, or none you may see"), (422, "invalid query argument"))
def list_albums(args: dict[str, Any], event: str) -> Page[Album]:
    """List an event's albums

    The albums listed to you (visitors: public ones; unlisted albums are reached by their link)."""
    return albums.list_albums(context.db_session(), event, viewer=current_viewer(), **args)


@bp.route("/albums/<album>", methods=["PATCH"])
@protected(Permission.edit_content)
@bp.arguments(AlbumSchema(partial=True, exclude=("slug",)))
@bp.response(200, AlbumSchema)
@errors(*BAD_BODY, (404, "no such album"), (422, "invalid field"))
def update_album(changes: dict[str, Any], album: str) -> Album:
    """Change an album's settings"""
    found = albums.get_album(context.db_session(), album)
    albums.update_album(
        context.db_session(), found, **changes, actor=current_actor(), storage=context.storage(), purge=cdn_purge()
    )
    context.db_session().commit()
    return found


@bp.route("/albums/<album>", methods=["DELETE"])
@protected(Permission.edit_content)
@bp.response(204)
@errors((404, "no such album"), (409, "code `not_empty`: the album still holds photos"))
def delete_album(album: str) -> Response:
    """Delete an album

    Only when it holds no photos (in the bin neither); its links from reports go with it."""
    albums.delete_album(context.db_session(), album, actor=current_actor())
    context.db_session().commit()
    return Response(status=204)
