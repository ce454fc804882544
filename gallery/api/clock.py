"""Camera clock correction for an event's photos."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.util import json_body, reject_unknown
from gallery.catalog import events as catalog
from gallery.core.errors import ValidationError
from gallery.core.permissions import Permission
from gallery.extensions import db
from gallery.http.guard import current_actor, requires
from gallery.photos import clock


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _text(data: dict[str, Any], name: str, *, required: bool) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > 255:
        raise ValidationError(f"{name} must be text of at most 255 characters", field=name)
    if required and not value.strip():
        raise ValidationError(f"{name} is required", field=name)
    return value.strip()


@bp.get("/events/<event>/cameras")
@requires(Permission.edit_content)
def event_cameras(event: str) -> Response:
    found = catalog.get_event(db.session, event)
    return jsonify(
        {
            "event": found.slug,
            "cameras": [
                {
                    "make": c.camera.make,
                    "model": c.camera.model,
                    "serial": c.camera.serial,
                    "photos": c.photos,
                    "first_taken_at": _iso(c.first),
                    "last_taken_at": _iso(c.last),
                    "offset_seconds": c.offset_seconds,
                }
                for c in clock.cameras(db.session, found)
            ],
        }
    )


@bp.post("/events/<event>/clock-corrections")
@requires(Permission.edit_content)
def clock_correction(event: str) -> Response:
    found = catalog.get_event(db.session, event)
    data = json_body()
    reject_unknown(data, {"make", "model", "serial", "offset_seconds", "preview"})
    camera = clock.Camera(
        make=_text(data, "make", required=False),
        model=_text(data, "model", required=True),
        serial=_text(data, "serial", required=False),
    )
    seconds = data.get("offset_seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ValidationError("offset_seconds must be a whole number of seconds", field="offset_seconds")
    total = clock.check_offset(timedelta(seconds=seconds))
    preview_only = data.get("preview", False)
    if not isinstance(preview_only, bool):
        raise ValidationError("preview must be true or false", field="preview")
    changes = clock.preview(db.session, found, camera, total)
    body: dict[str, Any] = {
        "camera": {"make": camera.make, "model": camera.model, "serial": camera.serial},
        "offset_seconds": seconds,
        "photos": [
            {"id": p.photo_id, "album": p.album_slug, "filename": p.filename, "taken_at_before": _iso(p.before), "taken_at_after": _iso(p.after)}
            for p in changes
        ],
    }
    if preview_only:
        db.session.rollback()
        body["changed"] = 0
        return jsonify(body)
    body["changed"] = clock.apply(db.session, found, camera, total, actor=current_actor())
    db.session.commit()
    return jsonify(body)
