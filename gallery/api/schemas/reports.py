"""Event reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import fields, validate
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import ModelSchema, PageQuerySchema, Slug, UTCDateTime, column_field, url_field
from gallery.catalog.visibility import can_list_album
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.models import Album, Report
from gallery.reports.service import REPORT_LANGUAGES


class ReportSchema(ModelSchema):
    """A report (an article about the event, in Markdown) and the albums it links, in order."""

    class Meta:
        model = Report
        fields = (
            "slug", "event", "title", "language", "translation_of", "status", "body", "published_at", "albums", "url",
        )  # fmt: skip

    slug = auto_field(
        required=False,
        validate=Slug(),
        metadata={"description": "unique in the event; made from the title when left out"},
    )
    event = fields.Function(
        lambda report: report.event.slug,
        dump_only=True,
        metadata={"type": "string", "description": "slug of the event"},
    )
    language = auto_field(validate=validate.OneOf(REPORT_LANGUAGES))
    translation_of = fields.String(
        allow_none=True,
        validate=Slug(),
        metadata={"description": "slug of the report of this event that this one translates (another language); "
                                 "null: an original"},
    )  # fmt: skip
    body = auto_field(allow_none=True, metadata={"description": "Markdown; null: empty"})
    published_at = UTCDateTime(dump_only=True, allow_none=True, metadata={"description": "when first published"})
    albums = fields.List(
        column_field(Album.slug), metadata={"description": "slugs of the linked albums of the event, in order"}
    )
    url = url_field(
        lambda report: external_url("web.report", event=report.event.slug, report=report.slug), "the report's page"
    )

    computed: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "translation_of": lambda report: report.original.slug if report.original is not None else None,
        "albums": lambda report: _listed_albums(report),
    }


def _listed_albums(report: Report) -> list[str]:
    """The slugs of the report's linked albums that the viewer may see listed."""
    viewer = current_viewer()
    return [album.slug for album in report.albums if can_list_album(album, viewer)]


class ReportQuerySchema(PageQuerySchema):
    status = column_field(Report.status, required=False, metadata={"description": "only reports in this state"})
    language = fields.String(
        validate=validate.OneOf(REPORT_LANGUAGES), metadata={"description": "only in this language"}
    )
