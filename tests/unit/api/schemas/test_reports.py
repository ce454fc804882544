"""Report schema (gallery/api/schemas/reports.py): languages from the domain's list, linked albums
as slugs, only those the reader may see listed."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask

from gallery.api.schemas.reports import ReportSchema
from gallery.extensions import db
from gallery.reports.service import REPORT_LANGUAGES
from tests.web.helpers import make_album, make_event, make_report


def test_languages_come_from_the_domain() -> None:
    for language in REPORT_LANGUAGES:
        assert ReportSchema(partial=True).load({"language": language}) == {"language": language}
    with pytest.raises(ma.ValidationError):
        ReportSchema(partial=True).load({"language": "de"})


def test_linked_albums_for_visitors(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    albums = [make_album(db.session, event, "open"), make_album(db.session, event, "closed", visibility="private")]
    report = make_report(db.session, event, "news", "Text.", albums=albums)
    with app.test_request_context("/api/v1/events/ecc/reports/news"):
        body = ReportSchema().dump(report)
    assert body["albums"] == ["open"] and body["event"] == "ecc" and body["published_at"].endswith("Z")
