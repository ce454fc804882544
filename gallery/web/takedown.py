"""The public takedown request form: ``/albums/<album>/photos/<id>/takedown``."""

from __future__ import annotations

import json
import logging

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.catalog.media_access import media_right
from gallery.catalog.visibility import presented_token, visible_album
from gallery.consent import requests as takedowns
from gallery.core.errors import ValidationError
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.media_urls import DerivativeUrls, cdn_purge
from gallery.http.render import derivative_tuples, image_set, photo_alt
from gallery.http.takedowns import after_request_filed, takedown_form_limit
from gallery.http.viewer import current_viewer
from gallery.photos import pages as photo_pages
from gallery.web.blueprint import bp
from gallery.web.takedown_form import TakedownForm

log = logging.getLogger("gallery.consent")


def _done(title: str, message: str, status: int = 200) -> Response:
    body = render_template("web/takedown_done.html", title=title, message=message)
    return Response(body, status=status, mimetype="text/html")


@bp.route("/albums/<album>/photos/<int:photo_id>/takedown", methods=["GET", "POST"])
@takedown_form_limit
def takedown(album: str, photo_id: int) -> Response:
    viewer = current_viewer()
    found = visible_album(context.db_session(), album, viewer)
    photo = photo_pages.photo_in_album(context.db_session(), found, photo_id).photo
    form = TakedownForm()
    status = 200
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled in the honeypot: it is answered like anyone, and nothing is filed.
            log.info("takedown form: honeypot filled for photo %s from %s; ignored", photo_id, request.remote_addr)
            return _done(_("Thank you"), _("Your request was sent to our editors."))
        try:
            boxes = json.loads(form.boxes.data) if form.boxes.data else None
            filed = takedowns.file_request(
                context.db_session(),
                photo_id,
                viewer=viewer,
                action=form.action.data or "",
                reason=form.reason.data,
                email=form.email.data,
                boxes=boxes,
                settings=context.settings().consent,
                actor=current_actor(),
                storage=context.storage(),
                purge=cdn_purge(),
            )
        except (ValueError, ValidationError) as exc:
            context.db_session().rollback()
            field = getattr(exc, "field", None) or "boxes"
            message = _("Please check the e-mail address.") if field == "email" else _("Please check the form.")
            getattr(form, field, form.boxes).errors = [message]
            status = 400
        else:
            after_request_filed(filed)
            if filed.hidden:
                message = _("Your request was sent to our editors, and the photo is hidden until they decide.")
            else:
                message = _("Your request was sent to our editors.")
            return _done(_("Thank you"), message)
    elif request.method == "POST":
        status = 400
    token = presented_token(viewer, found)
    image = image_set(derivative_tuples(photo), DerivativeUrls(media_right(viewer, found)), fallback_edge=1024)
    body = render_template(
        "web/takedown.html",
        form=form,
        album=found,
        photo=photo,
        image=image,
        alt=photo_alt(photo, 0, found.title),
        back_url=url_for("web.photo", album=found.slug, photo_id=photo.id, token=token),
    )
    return Response(body, status=status, mimetype="text/html")
