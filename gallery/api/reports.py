"""Event reports: list, read, write, change, delete.  Slugs are unique per event; those who may
not edit content read published reports only."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.base import page_of
from gallery.api.schemas.reports import ReportQuerySchema, ReportSchema
from gallery.catalog import events as catalog
from gallery.core.pages import Page
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.models import Report
from gallery.reports import service as reports


@bp.route("/events/<event>/reports", methods=["GET"])
@public
@bp.arguments(ReportQuerySchema, location="query")
@bp.response(200, page_of(ReportSchema))
@errors((400, "the cursor is broken"), (404, "no such event, or none you may see"), (422, "invalid query argument"))
def list_reports(args: dict[str, Any], event: str) -> Page[Report]:
    """List an event's reports

    In the order they were written; drafts only for those who edit content."""
    return reports.list_reports(context.db_session(), event, viewer=current_viewer(), **args)


@bp.route("/events/<event>/reports", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(ReportSchema)
@bp.response(201, ReportSchema)
@errors(
    *BAD_BODY, (404, "no such event"), (409, "the event already has a report with this slug"), (422, "invalid field")
)
def create_report(data: dict[str, Any], event: str) -> tuple[Report, int, dict[str, str]]:
    """Write a report"""
    found = catalog.get_event(context.db_session(), event)
    report = reports.create_report(
        context.db_session(), found, album_slugs=data.pop("albums", None), **data, actor=current_actor()
    )
    context.db_session().commit()
    return report, 201, {"Location": external_url("web.report", event=found.slug, report=report.slug)}


@bp.route("/events/<event>/reports/<report>", methods=["GET"])
@public
@bp.response(200, ReportSchema)
@errors((404, "no such report, or a draft you may not read"))
def get_report(event: str, report: str) -> Report:
    """A report"""
    return reports.visible_report(context.db_session(), event, report, viewer=current_viewer())


@bp.route("/events/<event>/reports/<report>", methods=["PATCH"])
@protected(Permission.edit_content)
@bp.arguments(ReportSchema(partial=True, exclude=("slug",)))
@bp.response(200, ReportSchema)
@errors(*BAD_BODY, (404, "no such report"), (422, "invalid field"))
def update_report(changes: dict[str, Any], event: str, report: str) -> Report:
    """Change a report

    Publishing it the first time sets `published_at`; `albums` replaces the linked albums."""
    found = reports.get_report(context.db_session(), catalog.get_event(context.db_session(), event), report)
    reports.update_report(
        context.db_session(), found, album_slugs=changes.pop("albums", None), **changes, actor=current_actor()
    )
    context.db_session().commit()
    return found


@bp.route("/events/<event>/reports/<report>", methods=["DELETE"])
@protected(Permission.edit_content)
@bp.response(204)
@errors((404, "no such report"))
def delete_report(event: str, report: str) -> Response:
    """Delete a report"""
    reports.delete_report(context.db_session(), event, report, actor=current_actor())
    context.db_session().commit()
    return Response(status=204)
