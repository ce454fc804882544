"""Creating events and albums (reading, listing, changing and deleting them:
:mod:`gallery.api.event_routes` and :mod:`gallery.api.albums`)."""

from __future__ import annotations

from typing import Any

from gallery.api.access import errors, protected
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.events import AlbumSchema, EventSchema
from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.urls import external_url
from gallery.models import Album, Event


@bp.route("/events", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(EventSchema)
@bp.response(201, EventSchema)
@errors(*BAD_BODY, (409, "slug taken"), (422, "invalid field"))
def create_event(data: dict[str, Any]) -> tuple[Event, int, dict[str, str]]:
    """Create an event

    Without a slug one is made from the title."""
    event = catalog.create_event(context.db_session(), **data, actor=current_actor())
    context.db_session().commit()
    return event, 201, {"Location": external_url("web.event", event=event.slug)}


@bp.route("/events/<event>/albums", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(AlbumSchema)
@bp.response(201, AlbumSchema)
@errors(*BAD_BODY, (404, "no such event"), (409, "slug taken (album slugs are unique across the site)"),
        (422, "invalid field"))  # fmt: skip
def create_album(data: dict[str, Any], event: str) -> tuple[Album, int, dict[str, str]]:
    """Create an album in an event"""
    album = albums.create_album(
        context.db_session(), event=catalog.get_event(context.db_session(), event), **data, actor=current_actor()
    )
    context.db_session().commit()
    return album, 201, {"Location": external_url("web.album", album=album.slug)}
