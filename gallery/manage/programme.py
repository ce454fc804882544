"""An event's programme in the management area: upload an iCalendar file, see the sessions, change
or delete one.  The rules (reading the file, times, slugs) are :mod:`gallery.schedule.service`'s."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gallery.catalog import events as catalog
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.formatting import ngettext
from gallery.http.guard import current_actor, requires
from gallery.manage.blueprint import bp
from gallery.manage.forms import service_error
from gallery.models import Event
from gallery.photos.capture import event_time, event_zone
from gallery.schedule import ical, service
from gallery.schedule.models import EventSession
from gallery.web.sessions import session_span


class ProgrammeUploadForm(FlaskForm):
    file = FileField(
        _l("Programme (iCalendar .ics file)"),
        validators=[FileRequired(_l("Choose an .ics file."))],
        description=_l(
            "Exported from the conference's programme tool. Sessions already imported (same UID) are updated; "
            "times without a time zone are read in the event's time zone."
        ),
    )


#: datetime-local's own form first ("2024-05-07T10:30"), as browsers send and expect it.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=LOCAL_FORMATS, validators=[DataRequired()], description=_l("In the event's time zone")
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMATS, validators=[DataRequired()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=300)])
    speakers = StringField(_l("Speakers"), validators=[Optional()], description=_l("Names separated by commas"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])


class ConfirmForm(FlaskForm):
    """A button with a CSRF token."""


def _render(event: Event, upload: ProgrammeUploadForm, status: int) -> tuple[str, int]:
    sessions = service.list_sessions(context.db_session(), event)
    return (
        render_template(
            "manage/programme.html",
            event=event,
            sessions=sessions,
            upload=upload,
            confirm=ConfirmForm(),
            session_span=session_span,
        ),
        status,
    )


@bp.route("/events/<event>/programme", methods=["GET", "POST"])
@requires(Permission.edit_content)
def event_programme(event: str) -> Response | tuple[str, int]:
    found = catalog.get_event(context.db_session(), event)
    form = ProgrammeUploadForm()
    if not form.is_submitted():
        return _render(found, form, 200)
    if form.validate():
        data = form.file.data.stream.read(ical.MAX_FILE_BYTES + 1)
        try:
            if len(data) > ical.MAX_FILE_BYTES:
                raise ical.ScheduleFileError(
                    f"the file is larger than {ical.MAX_FILE_BYTES // (1024 * 1024)} MB", field="file"
                )
            result = service.import_schedule(context.db_session(), found, data, actor=current_actor())
        except GalleryError as exc:
            context.db_session().rollback()
            found = catalog.get_event(context.db_session(), event)
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(
                _(
                    "Programme imported: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.",
                    created=len(result.created),
                    updated=len(result.updated),
                    unchanged=result.unchanged,
                ),
                "success",
            )
            if result.skipped:
                flash(
                    ngettext(
                        "%(num)d entry is not a session and was skipped: %(titles)s",
                        "%(num)d entries are not sessions and were skipped: %(titles)s",
                        len(result.skipped),
                        titles=", ".join(f"{s.title} ({s.reason})" for s in result.skipped),
                    ),
                    "info",
                )
            if result.missing:
                flash(
                    _(
                        "Not in this file any more (kept; delete them if they were dropped): %(titles)s",
                        titles=", ".join(s.title for s in result.missing),
                    ),
                    "info",
                )
            return redirect(url_for("manage.event_programme", event=found.slug))
    return _render(found, form, 422)


def _local(value: datetime, event: Event) -> datetime:
    """A session time as the form shows it: wall time on the event's clock, without a zone."""
    shown = event_time(value, event_zone(event))
    assert shown is not None
    return shown.replace(tzinfo=None)


@bp.route("/events/<event>/programme/<session>/edit", methods=["GET", "POST"])
@requires(Permission.edit_content)
def session_edit(event: str, session: str) -> Response | tuple[str, int]:
    found = catalog.get_event(context.db_session(), event)
    item = service.get_session(context.db_session(), found, session)
    form = SessionForm()
    if not form.is_submitted():
        form = SessionForm(
            data={
                "title": item.title,
                "starts_at": _local(item.starts_at, found),
                "ends_at": _local(item.ends_at, found),
                "room": item.room,
                "speakers": ", ".join(item.speakers),
                "description": item.description,
            }
        )
        return render_template("manage/session_form.html", event=found, item=item, form=form), 200
    if form.validate():
        try:
            service.update_session(
                context.db_session(),
                item,
                title=form.title.data,
                starts_at=form.starts_at.data,  # naive: read in the event's zone
                ends_at=form.ends_at.data,
                room=form.room.data or "",
                speakers=form.speakers.data or "",
                description=form.description.data or "",
                actor=current_actor(),
            )
        except GalleryError as exc:
            context.db_session().rollback()
            found = catalog.get_event(context.db_session(), event)
            item = service.get_session(context.db_session(), found, session)
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(_("Session saved."), "success")
            return redirect(url_for("manage.event_programme", event=found.slug))
    return render_template("manage/session_form.html", event=found, item=item, form=form), 422


@bp.route("/events/<event>/programme/<session>/delete", methods=["POST"])
@requires(Permission.edit_content)
def session_delete(event: str, session: str) -> Response:
    found = catalog.get_event(context.db_session(), event)
    item: EventSession = service.get_session(context.db_session(), found, session)
    title = item.title  # the CSRF token was checked before the view (CSRFProtect)
    service.delete_session(context.db_session(), item, actor=current_actor())
    context.db_session().commit()
    flash(_("Session “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("manage.event_programme", event=found.slug))
