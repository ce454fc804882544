"""Events: list, create, edit; the camera clock correction of an event's photos."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from gallery.catalog import events as catalog
from gallery.core.errors import GalleryError, ValidationError
from gallery.core.permissions import Permission
from gallery.http import context, formatting
from gallery.http.formatting import ngettext
from gallery.http.guard import current_actor, requires
from gallery.manage.blueprint import bp
from gallery.manage.forms import ClockForm, EventForm, NewEventForm, service_error
from gallery.models import Album, Event, Photo, Report
from gallery.photos import clock, clock_preview
from gallery.photos.capture import event_time, event_zone

_ZONES: list[str] = []


def zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
    return _ZONES


@bp.route("/events")
@requires(Permission.edit_content)
def events() -> str:
    found = context.db_session().scalars(select(Event).order_by(Event.starts_on.desc(), Event.id.desc())).all()
    albums = context.db_session().scalars(select(Album).order_by(Album.id)).all()
    by_event: dict[int, list[Album]] = {}
    for album in albums:
        by_event.setdefault(album.event_id, []).append(album)
    photo_counts = dict(
        context.db_session()
        .execute(
            select(Photo.album_id, func.count(Photo.id)).where(Photo.deleted_at.is_(None)).group_by(Photo.album_id)
        )
        .all()
    )
    report_counts = dict(
        context.db_session().execute(select(Report.event_id, func.count(Report.id)).group_by(Report.event_id)).all()
    )
    return render_template(
        "manage/events.html", events=found, albums=by_event, photo_counts=photo_counts, report_counts=report_counts
    )


def _render_event_form(form: EventForm, event: Event | None, status: int) -> tuple[str, int]:
    return render_template("manage/event_form.html", form=form, event=event, zones=zones()), status


@bp.route("/events/new", methods=["GET", "POST"])
@requires(Permission.edit_content)
def event_new() -> Response | tuple[str, int]:
    form = NewEventForm()
    if request.method == "GET":
        return _render_event_form(form, None, 200)
    if form.validate_on_submit():
        try:
            event = catalog.create_event(
                context.db_session(), **form.values(), slug=form.slug.data or None, actor=current_actor()
            )
        except GalleryError as exc:
            context.db_session().rollback()
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(_("Event “%(title)s” created.", title=event.title), "success")
            return redirect(url_for("manage.event_edit", event=event.slug))
    return _render_event_form(form, None, 422)


@bp.route("/events/<event>/edit", methods=["GET", "POST"])
@requires(Permission.edit_content)
def event_edit(event: str) -> Response | tuple[str, int]:
    found = catalog.get_event(context.db_session(), event)
    if request.method == "GET":
        return _render_event_form(EventForm(obj=found), found, 200)
    form = EventForm()
    if form.validate_on_submit():
        try:
            result = catalog.update_event(context.db_session(), found, **form.values(), actor=current_actor())
        except GalleryError as exc:
            context.db_session().rollback()
            found = catalog.get_event(context.db_session(), event)
            service_error(form, exc)
        else:
            context.db_session().commit()
            if result.changed:
                flash(_("Event saved."), "success")
            else:
                flash(_("Nothing to save: no changes."), "info")
            if result.recomputed_photos:
                flash(
                    ngettext(
                        "The capture time of %(num)d photo taken without a time zone was re-read in the new time zone.",
                        "The capture times of %(num)d photos taken without a time zone "
                        "were re-read in the new time zone.",
                        result.recomputed_photos,
                    ),
                    "info",
                )
            return redirect(url_for("manage.event_edit", event=found.slug))
    return _render_event_form(form, found, 422)


# --- camera clock correction -----------------------------------------------------------------------


def camera_value(camera: clock.Camera) -> str:
    return json.dumps([camera.make, camera.model, camera.serial], ensure_ascii=False)


def _chosen_camera(form: ClockForm, known: list[clock.CameraSummary]) -> clock.Camera | None:
    for summary in known:
        if camera_value(summary.camera) == form.camera.data:
            return summary.camera
    form.camera.errors = [*form.camera.errors, _("Choose one of the cameras listed.")]
    return None


def _offset(form: ClockForm) -> timedelta | None:
    try:
        return clock.parse_offset(form.offset.data or "")
    except ValidationError:
        form.offset.errors = [
            *form.offset.errors,
            _("“%(text)s” is not a correction such as +1h03m, -45m or 1:03.", text=form.offset.data or ""),
        ]
        return None


def format_offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    rest = abs(seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours}h{minutes:02d}m"
    return text + (f"{secs:02d}s" if secs else "")


@bp.route("/events/<event>/clock", methods=["GET", "POST"])
@requires(Permission.edit_content)
def event_clock(event: str) -> Response | tuple[str, int]:
    """GET lists the cameras; with ?camera=…&offset=… it previews (nothing changes).
    POST applies the correction."""
    found = catalog.get_event(context.db_session(), event)
    cameras = clock.cameras(context.db_session(), found)
    zone = event_zone(found)

    def when(value: datetime | None) -> str:
        local = event_time(value, zone)
        return formatting.moment(local, seconds=True) if local is not None else "–"

    posted = request.method == "POST"
    previewing = not posted and ("camera" in request.args or "offset" in request.args)
    if posted:
        form = ClockForm()
    else:
        form = ClockForm(formdata=request.args if previewing else None, meta={"csrf": False})
    form.camera.choices = [
        SelectChoice(camera_value(c.camera), _("%(camera)s (%(num)d photos)", camera=c.camera.label(), num=c.photos))
        for c in cameras
    ]
    previews: list[clock_preview.AlbumReorder] | None = None
    chosen_label = ""
    status = 200
    if posted or previewing:
        valid = form.validate() if not posted else form.validate_on_submit()
        camera = _chosen_camera(form, cameras)
        total = _offset(form) if form.offset.data else None
        if valid and camera is not None and total is not None:
            if posted:
                changed = clock.apply(context.db_session(), found, camera, total, actor=current_actor())
                context.db_session().commit()
                flash(
                    ngettext(
                        "Correction %(offset)s saved for %(camera)s: %(num)d photo got a new capture time.",
                        "Correction %(offset)s saved for %(camera)s: %(num)d photos got new capture times.",
                        changed,
                        offset=format_offset(int(total.total_seconds())),
                        camera=camera.label(),
                    ),
                    "success",
                )
                return redirect(url_for("manage.event_clock", event=found.slug))
            previews = clock_preview.clock_preview(context.db_session(), found, camera, total)
            chosen_label = camera.label()
            context.db_session().rollback()
        else:
            status = 422
    return (
        render_template(
            "manage/clock.html",
            event=found,
            cameras=cameras,
            form=form,
            previews=previews,
            chosen_label=chosen_label,
            when=when,
            format_offset=format_offset,
        ),
        status,
    )
