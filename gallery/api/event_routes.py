"""Events: list, read, change, delete (creating one is in :mod:`gallery.api.events`)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.schemas.base import page_of
from gallery.api.schemas.events import EventQuerySchema, EventSchema
from gallery.catalog import events as catalog
from gallery.core.pages import Page
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.viewer import current_viewer
from gallery.models import Event

BAD_BODY = ((400, "the body is not a JSON object"), (415, "send Content-Type: application/json"))


@bp.route("/events", methods=["GET"])
@public
@bp.arguments(EventQuerySchema, location="query")
@bp.response(200, page_of(EventSchema))
@errors((400, "the cursor is broken"), (422, "invalid query argument"))
def list_events(args: dict[str, Any]) -> Page[Event]:
    """List events

    The events you may see, newest first, a page at a time; `from` and `to` keep those that
    take place (at least partly) in that range of days."""
    return catalog.list_events(context.db_session(), viewer=current_viewer(), **args)


@bp.route("/events/<event>", methods=["GET"])
@public
@bp.response(200, EventSchema)
@errors((404, "no such event, or none you may see"))
def get_event(event: str) -> Event:
    """An event"""
    return catalog.visible_event(context.db_session(), event, viewer=current_viewer())


@bp.route("/events/<event>", methods=["PATCH"])
@protected(Permission.edit_content)
@bp.arguments(EventSchema(partial=True, exclude=("slug",)))
@bp.response(200, EventSchema)
@errors(*BAD_BODY, (404, "no such event"), (422, "invalid field"))
def update_event(changes: dict[str, Any], event: str) -> Event:
    """Change an event

    A new time zone re-reads the capture times that came without an offset."""
    found = catalog.get_event(context.db_session(), event)
    catalog.update_event(context.db_session(), found, **changes, actor=current_actor())
    context.db_session().commit()
    return found


@bp.route("/events/<event>", methods=["DELETE"])
@protected(Permission.edit_content)
@bp.response(204)
@errors((404, "no such event"), (409, "code `not_empty`: the event still holds photos"))
def delete_event(event: str) -> Response:
    """Delete an event

    With its albums, reports and clock corrections; only when it holds no photos (in the bin neither)."""
    catalog.delete_event(context.db_session(), event, actor=current_actor())
    context.db_session().commit()
    return Response(status=204)
