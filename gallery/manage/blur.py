"""The blur tool of a photo (editors): ``/manage/photos/<id>/blur``.

The page shows the photo with its blurred boxes, or -- when it has none -- the faces OpenCV
suggests (:func:`gallery.consent.blur.face_suggestions`), in the same keyboard-accessible box
widget as the public takedown form (``static/js/takedown.js``: drag to draw, "Add a box", arrow keys
move, Shift+arrow keys resize, Delete removes).  Saving calls
:func:`gallery.consent.blur.blur_photo`: every web size rendered again with the boxes blurred,
under new URLs; an empty set of boxes takes the blur away."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField

from gallery.catalog.media_access import photo_media_right
from gallery.catalog.visibility import Viewer
from gallery.consent.blur import blur_photo, face_suggestions
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.formatting import ngettext
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.media_urls import cdn_purge, derivative_url
from gallery.manage.blueprint import bp
from gallery.models import Photo
from gallery.photos import service as photos


class BlurForm(FlaskForm):
    boxes = HiddenField()


def _image(photo: Photo, edge: int = 1024) -> tuple[str, int, int] | None:
    jpegs = sorted((d for d in photo.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    if not jpegs:
        return None
    chosen = next((d for d in jpegs if max(d.width, d.height) >= edge), jpegs[-1])
    url = derivative_url(chosen, photo_media_right(Viewer.of(acting_user()), photo))
    return url, chosen.width, chosen.height


def _page(photo: Photo, form: BlurForm, *, suggested: int | None, status: int = 200) -> tuple[str, int]:
    html = render_template("manage/blur.html", photo=photo, form=form, image=_image(photo), suggested=suggested)
    return html, status


@bp.route("/photos/<int:photo_id>/blur", methods=["GET", "POST"])
@requires(Permission.edit_content)
def photo_blur(photo_id: int) -> Response | tuple[str, int]:
    session = context.db_session()
    photo = photos.get_photo(session, photo_id, viewer=Viewer.of(acting_user()))
    form = BlurForm()
    if form.validate_on_submit():
        try:
            raw = json.loads(form.boxes.data) if form.boxes.data else []
            settings = context.settings()
            stored = blur_photo(
                session,
                photo,
                raw,
                actor=current_actor(),
                storage=context.storage(),
                sizes=settings.derivative_sizes,
                max_pixels=settings.max_pixels,
                purge=cdn_purge(),
            )
        except (ValueError, GalleryError) as exc:
            session.rollback()
            photo = photos.get_photo(session, photo_id, viewer=Viewer.of(acting_user()))
            message = exc.message if isinstance(exc, GalleryError) else str(exc)
            form.boxes.errors = [_("The boxes could not be saved: %(message)s", message=message)]
            return _page(photo, form, suggested=None, status=400 if not isinstance(exc, GalleryError) else exc.status)
        session.commit()
        if stored:
            flash(
                ngettext(
                    "Blurred %(num)d area in every web size.", "Blurred %(num)d areas in every web size.", len(stored)
                ),
                "success",
            )
        else:
            flash(_("The blur is removed: the web sizes show the whole photo again."), "success")
        return redirect(url_for("manage.photo_blur", photo_id=photo.id))
    if form.is_submitted():  # a bad or missing CSRF token
        return _page(photo, form, suggested=None, status=400)
    suggested = None
    boxes = photo.blur_boxes or []
    if not boxes:
        try:
            boxes = face_suggestions(photo, storage=context.storage())
        except GalleryError:
            boxes = []
        suggested = len(boxes)
    form.boxes.data = json.dumps(boxes) if boxes else ""
    return _page(photo, form, suggested=suggested)
