"""Camera clock correction for an event's photos."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gallery.api.access import errors, protected
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.clock import CamerasSchema, ClockCorrectionRequestSchema, ClockCorrectionSchema
from gallery.catalog import events as catalog
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.photos import clock


@bp.route("/events/<event>/cameras", methods=["GET"])
@protected(Permission.edit_content)
@bp.response(200, CamerasSchema)
@errors((404, "no such event"))
def event_cameras(event: str) -> dict[str, Any]:
    """Cameras seen in an event, with their clock corrections"""
    found = catalog.get_event(context.db_session(), event)
    return {"event": found.slug, "cameras": clock.cameras(context.db_session(), found)}


@bp.route("/events/<event>/clock-corrections", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(ClockCorrectionRequestSchema)
@bp.response(200, ClockCorrectionSchema)
@errors(*BAD_BODY, (404, "no such event"), (422, "invalid field"))
def clock_correction(data: dict[str, Any], event: str) -> dict[str, Any]:
    """Correct a camera's clock for an event (recomputes capture times)"""
    found = catalog.get_event(context.db_session(), event)
    camera = clock.Camera(
        make=(data.get("camera_make") or "").strip(),
        model=data["camera_model"].strip(),
        serial=(data.get("camera_serial") or "").strip(),
    )
    total = clock.check_offset(timedelta(seconds=data["offset_seconds"]))
    body = {
        "camera": camera,
        "offset_seconds": data["offset_seconds"],
        "photos": clock.preview(context.db_session(), found, camera, total),
    }
    if data["preview"]:
        context.db_session().rollback()
        return {**body, "changed": 0}
    body["changed"] = clock.apply(context.db_session(), found, camera, total, actor=current_actor())
    context.db_session().commit()
    return body
