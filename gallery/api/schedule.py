"""The event programme: import an iCalendar file, read it, and add, change or delete sessions."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.schedule import ProgrammeSchema, ScheduleImportSchema, ScheduleUploadSchema, SessionSchema
from gallery.catalog import events as catalog
from gallery.core.errors import GalleryError, PayloadTooLarge
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.schedule import ical, service
from gallery.schedule.models import EventSession

CALENDAR_TYPES = ("text/calendar", "application/ics")


def _programme_bytes() -> bytes:
    """The iCalendar file: the multipart field ``file``, or the body sent as ``text/calendar``."""
    file = request.files.get("file")
    if file is not None:
        data = file.stream.read(ical.MAX_FILE_BYTES + 1)
    elif request.mimetype in CALENDAR_TYPES:
        data = request.stream.read(ical.MAX_FILE_BYTES + 1)
    else:
        raise GalleryError(
            "send the programme as multipart/form-data in a field named 'file', or as the body with "
            "Content-Type: text/calendar",
            code="missing_file",
        )
    if len(data) > ical.MAX_FILE_BYTES:
        raise PayloadTooLarge(f"the programme is larger than {ical.MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


@bp.route("/events/<event>/schedule", methods=["POST"])
@protected(Permission.edit_content)
@bp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {"schema": ScheduleUploadSchema},
            "text/calendar": {"schema": {"type": "string", "format": "binary"}},
        },
    }
)
@bp.response(200, ScheduleImportSchema)
@errors(
    (400, "no file"),
    (404, "no such event"),
    (413, "larger than 5 MB"),
    (422, "code `invalid_schedule`: not an iCalendar file, no sessions in it, or an entry that cannot be read"),
)
def import_schedule(event: str) -> dict[str, Any]:
    """Import the programme (iCalendar)

    Sessions whose UID was imported before are updated (their slugs stay); new ones are added;
    times without a zone are read in the event's.  A file that cannot be read changes nothing."""
    found = catalog.get_event(context.db_session(), event)
    result = service.import_schedule(context.db_session(), found, _programme_bytes(), actor=current_actor())
    context.db_session().commit()
    return {
        "event": found.slug,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "missing": result.missing,
    }


@bp.route("/events/<event>/schedule", methods=["GET"])
@public
@bp.response(200, ProgrammeSchema)
@errors((404, "no such event, or none you may see"))
def get_schedule(event: str) -> dict[str, Any]:
    """An event's programme"""
    found = catalog.visible_event(context.db_session(), event, viewer=current_viewer())
    return {"event": found.slug, "sessions": service.list_sessions(context.db_session(), found)}


@bp.route("/events/<event>/sessions", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(SessionSchema)
@bp.response(201, SessionSchema)
@errors(*BAD_BODY, (404, "no such event"), (409, "the event has a session with this slug"), (422, "invalid field"))
def create_session(data: dict[str, Any], event: str) -> tuple[EventSession, int, dict[str, str]]:
    """Add a session by hand"""
    found = catalog.get_event(context.db_session(), event)
    created = service.create_session(context.db_session(), found, **data, actor=current_actor())
    context.db_session().commit()
    return created, 201, {"Location": external_url("web.session", event=found.slug, session=created.slug)}


@bp.route("/events/<event>/sessions/<session>", methods=["GET"])
@public
@bp.response(200, SessionSchema)
@errors((404, "no such session, or an event you may not see"))
def get_session(event: str, session: str) -> EventSession:
    """A session"""
    found = catalog.visible_event(context.db_session(), event, viewer=current_viewer())
    return service.get_session(context.db_session(), found, session)


@bp.route("/events/<event>/sessions/<session>", methods=["PATCH"])
@protected(Permission.edit_content)
@bp.arguments(SessionSchema(partial=True))
@bp.response(200, SessionSchema)
@errors(*BAD_BODY, (404, "no such session"), (409, "the event has a session with this slug"), (422, "invalid field"))
def update_session(changes: dict[str, Any], event: str, session: str) -> EventSession:
    """Change a session

    A later import of the same file (same UID) writes the file's values over these."""
    found = service.get_session(context.db_session(), catalog.get_event(context.db_session(), event), session)
    service.update_session(context.db_session(), found, **changes, actor=current_actor())
    context.db_session().commit()
    return found


@bp.route("/events/<event>/sessions/<session>", methods=["DELETE"])
@protected(Permission.edit_content)
@bp.response(204)
@errors((404, "no such session"))
def delete_session(event: str, session: str) -> Response:
    """Delete a session"""
    found = service.get_session(context.db_session(), catalog.get_event(context.db_session(), event), session)
    service.delete_session(context.db_session(), found, actor=current_actor())
    context.db_session().commit()
    return Response(status=204)
