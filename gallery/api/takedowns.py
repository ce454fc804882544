"""Takedown requests (anyone who can see the photo), decisions (editors) and tombstones (admins)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.takedowns import (
    DecisionSchema,
    TakedownQuerySchema,
    TakedownReceiptSchema,
    TakedownRequestInSchema,
    TakedownRequestSchema,
)
from gallery.consent import requests as takedowns
from gallery.consent.models import TakedownRequest
from gallery.consent.tombstones import lift_tombstone
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.media_urls import cdn_purge
from gallery.http.takedowns import after_decision, after_request_filed, blur_function, takedown_limit
from gallery.http.viewer import current_viewer


@bp.route("/photos/<int:photo_id>/takedown-requests", methods=["POST"])
@public
@takedown_limit
@bp.arguments(TakedownRequestInSchema)
@bp.response(202, TakedownReceiptSchema)
@errors(
    *BAD_BODY,
    (404, "no such photo, or not visible to you"),
    (422, "invalid field"),
    (429, "more than 20 requests from your address in an hour"),
)
def file_takedown_request(body: dict[str, Any], photo_id: int) -> Response:
    """Ask for a photo to be hidden, blurred or erased (or anything else)

    Anonymous requests are welcome.  A hide, blur or erase request hides the photo at once pending
    an editor's decision (unless the site turned that off)."""
    filed = takedowns.file_request(
        context.db_session(),
        photo_id,
        viewer=current_viewer(),
        action=body["action"].value if hasattr(body["action"], "value") else body["action"],
        reason=body.get("reason"),
        email=body.get("email"),
        boxes=body.get("boxes"),
        settings=context.settings().consent,
        actor=current_actor(),
        storage=context.storage(),
        purge=cdn_purge(),
    )
    after_request_filed(filed)
    response = jsonify(TakedownReceiptSchema().dump({"id": filed.request.id, "status": filed.request.status.value}))
    response.status_code = 202
    return response


@bp.route("/takedown-requests", methods=["GET"])
@protected(Permission.edit_content)
@bp.arguments(TakedownQuerySchema, location="query")
@bp.response(200, TakedownRequestSchema(many=True))
@errors((422, "invalid status"))
def list_takedown_requests(args: dict[str, Any]) -> list[TakedownRequest]:
    """Takedown requests (`?status=open`: the queue, oldest first)"""
    status = args.get("status")
    return takedowns.list_requests(context.db_session(), status=status.value if status is not None else None)


@bp.route("/takedown-requests/<int:request_id>/decision", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(DecisionSchema)
@bp.response(200, TakedownRequestSchema)
@errors(*BAD_BODY, (404, "no such request"), (409, "decided already"), (422, "invalid field"))
def decide_takedown_request(body: dict[str, Any], request_id: int) -> TakedownRequest:
    """Decide a request: restore, blur, hide or erase"""
    decided = takedowns.decide(
        context.db_session(),
        request_id,
        action=body["action"],
        boxes=body.get("boxes"),
        actor=current_actor(),
        storage=context.storage(),
        blur=blur_function(),
        purge=cdn_purge(),
    )
    after_decision(decided)
    return decided


@bp.route("/tombstones/<sha256>", methods=["DELETE"])
@protected(Permission.admin)
@bp.response(204)
@errors((404, "no such tombstone"))
def delete_tombstone(sha256: str) -> Response:
    """Lift an erasure: the same bytes may be uploaded again"""
    lift_tombstone(context.db_session(), sha256, actor=current_actor())
    return Response(status=204)
