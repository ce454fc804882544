"""Event reports: list, write and edit (Markdown with a live preview), draft or
published, language, linked albums in order."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from gallery.catalog import events as catalog
from gallery.catalog.albums import event_albums
from gallery.core.errors import GalleryError, ValidationError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor, requires
from gallery.manage.blueprint import bp
from gallery.manage.common import parse_int
from gallery.manage.forms import NewReportForm, ReportForm, service_error
from gallery.models import Album, Event, Report
from gallery.reports import render as reports
from gallery.reports import service as report_service

PREVIEW_MAX = 200_000


def render_preview(body: str) -> Markup:
    """The report body as the public report page renders it (the same Markdown rendering and
    sanitiser), with a placeholder where an ``[album slug]`` strip goes."""
    rendered = reports.render_report(body)
    slugs = rendered.album_slugs
    albums = (
        {a.slug: a for a in context.db_session().scalars(select(Album).where(Album.slug.in_(slugs)))} if slugs else {}
    )
    return Markup(render_template("manage/_report_preview.html", rendered=rendered, albums=albums))


@bp.post("/reports/preview")
@requires(Permission.edit_content)
def report_preview() -> Response | tuple[Response, int]:
    """Live preview for the report editor: ``body`` in, ``{"html": …}`` out."""
    body = request.form.get("body", "")
    if len(body) > PREVIEW_MAX:
        error = ValidationError(f"the text is too long (at most {PREVIEW_MAX} characters)", field="body")
        return jsonify(error.to_dict()), 422
    return jsonify({"html": str(render_preview(body))})


@bp.route("/events/<event>/reports")
@requires(Permission.edit_content)
def event_reports(event: str) -> str:
    found = catalog.get_event(context.db_session(), event)
    return render_template(
        "manage/reports.html", event=found, reports=report_service.event_reports(context.db_session(), found)
    )


def _linked_album_ids(albums: list[Album]) -> list[int]:
    """The ticked albums, ordered by their position inputs (then by listing order)."""
    listed = {a.id: n for n, a in enumerate(albums)}
    chosen: list[tuple[int, int, int]] = []
    for value in request.form.getlist("albums"):
        if not value.isdigit() or int(value) not in listed:
            raise ValidationError(_("Choose albums from the list."), field="albums")
        album_id = int(value)
        raw = request.form.get(f"album-position-{album_id}", "").strip()
        position = parse_int(raw, field="albums", minimum=1, maximum=1000) if raw else 1001
        chosen.append((position, listed[album_id], album_id))
    return [album_id for _p, _n, album_id in sorted(set(chosen))]


def _render_report_form(
    form: ReportForm,
    event: Event,
    report: Report | None,
    albums: list[Album],
    linked: list[int],
    status: int,
    preview: Markup | None = None,
) -> tuple[str, int]:
    others = [
        r for r in report_service.event_reports(context.db_session(), event) if report is None or r.id != report.id
    ]
    form.translation_of.choices = [(0, _("None: this is an original"))] + [
        (r.id, f"{r.title} ({r.language})") for r in others if r.translation_of_id is None
    ]
    return (
        render_template(
            "manage/report_form.html",
            form=form,
            event=event,
            report=report,
            albums=albums,
            linked={album_id: n for n, album_id in enumerate(linked, start=1)},
            preview=preview,
        ),
        status,
    )


def _submitted_links(form: ReportForm, albums: list[Album]) -> list[int] | None:
    try:
        return _linked_album_ids(albums)
    except ValidationError as exc:
        service_error(form, exc)
        return None


@bp.route("/events/<event>/reports/new", methods=["GET", "POST"])
@requires(Permission.edit_content)
def report_new(event: str) -> Response | tuple[str, int]:
    found = catalog.get_event(context.db_session(), event)
    albums = event_albums(context.db_session(), found)
    form = NewReportForm()
    if request.method == "GET":
        form.language.data = "pl" if str(request.accept_languages.best_match(["pl", "en"])) == "pl" else "en"
        return _render_report_form(form, found, None, albums, [], 200)
    linked = _submitted_links(form, albums)
    if request.form.get("action") == "preview":
        return _render_report_form(form, found, None, albums, linked or [], 200, render_preview(form.body.data or ""))
    if form.validate_on_submit() and linked is not None:
        try:
            report = report_service.create_report(
                context.db_session(),
                found,
                **form.values(),
                slug=form.slug.data or None,
                album_ids=linked,
                actor=current_actor(),
            )
        except GalleryError as exc:
            context.db_session().rollback()
            found = catalog.get_event(context.db_session(), event)
            albums = event_albums(context.db_session(), found)
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(_("Report “%(title)s” created.", title=report.title), "success")
            return redirect(url_for("manage.report_edit", event=found.slug, report=report.slug))
    return _render_report_form(form, found, None, albums, linked or [], 422)


@bp.route("/events/<event>/reports/<report>/edit", methods=["GET", "POST"])
@requires(Permission.edit_content)
def report_edit(event: str, report: str) -> Response | tuple[str, int]:
    found_event = catalog.get_event(context.db_session(), event)
    found = report_service.get_report(context.db_session(), found_event, report)
    albums = event_albums(context.db_session(), found_event)
    if request.method == "GET":
        form = ReportForm(obj=found, status=found.status.value, translation_of=found.translation_of_id or 0)
        current = report_service.report_album_ids(context.db_session(), found)
        return _render_report_form(form, found_event, found, albums, current, 200)
    form = ReportForm()
    linked = _submitted_links(form, albums)
    if request.form.get("action") == "preview":
        return _render_report_form(
            form, found_event, found, albums, linked or [], 200, render_preview(form.body.data or "")
        )
    if form.validate_on_submit() and linked is not None:
        try:
            changed = report_service.update_report(
                context.db_session(), found, **form.values(), album_ids=linked, actor=current_actor()
            )
        except GalleryError as exc:
            context.db_session().rollback()
            found_event = catalog.get_event(context.db_session(), event)
            found = report_service.get_report(context.db_session(), found_event, report)
            albums = event_albums(context.db_session(), found_event)
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(
                _("Report saved.") if changed else _("Nothing to save: no changes."), "success" if changed else "info"
            )
            return redirect(url_for("manage.report_edit", event=found_event.slug, report=found.slug))
    return _render_report_form(form, found_event, found, albums, linked or [], 422)
