"""The takedown queue (``/manage/takedowns``): open requests with the photo, the boxes drawn and
the history, and the editors' decisions."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.catalog.media_access import photo_media_right
from gallery.catalog.visibility import Viewer
from gallery.consent import requests as consent_requests
from gallery.consent.models import TakedownRequest
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.media_urls import cdn_purge, derivative_url
from gallery.http.takedowns import after_decision, blur_function
from gallery.manage.blueprint import bp
from gallery.manage.common import parse_int


def preview(takedown: TakedownRequest, edge: int = 1024) -> str | None:
    """The URL of a web size of the request's photo (about ``edge`` px), or None."""
    photo = takedown.photo
    if photo is None:
        return None
    jpegs = sorted((d for d in photo.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    if not jpegs:
        return None
    chosen = next((d for d in jpegs if max(d.width, d.height) >= edge), jpegs[-1])
    return derivative_url(chosen, photo_media_right(Viewer.of(acting_user()), photo))


@bp.route("/takedowns")
@requires(Permission.edit_content)
def takedowns() -> str:
    session = context.db_session()
    return render_template(
        "manage/takedowns.html",
        open_requests=consent_requests.list_requests(session, status="open"),
        decided=consent_requests.list_requests(session, status="decided", limit=30),
        preview=preview,
        blur_available=blur_function() is not None,
    )


@bp.route("/takedowns/<int:request_id>/decision", methods=["POST"])
@requires(Permission.edit_content)
def takedown_decide(request_id: int) -> Response:
    parse_int(str(request_id), field="request", minimum=1)
    action = (request.form.get("action") or "").strip()[:20]
    try:
        decided = consent_requests.decide(
            context.db_session(),
            request_id,
            action=action,
            actor=current_actor(),
            storage=context.storage(),
            blur=blur_function(),
            purge=cdn_purge(),
        )
    except GalleryError as exc:
        context.db_session().rollback()
        if exc.status == 404:
            raise
        flash(_("The request could not be decided: %(message)s", message=exc.message), "error")
        return redirect(url_for("manage.takedowns"))
    after_decision(decided)
    names = {"restore": _("restore"), "blur": _("blur"), "hide": _("hide"), "erase": _("erase")}
    flash(_("Request #%(id)s decided: %(action)s.", id=decided.id, action=names.get(action, action)), "success")
    return redirect(url_for("manage.takedowns"))
