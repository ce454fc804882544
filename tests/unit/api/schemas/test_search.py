"""Search schemas (gallery/api/schemas/search.py): arguments checked from the columns, photos as in
the album JSON plus album and highlight."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask

from gallery.api.schemas.photos import PhotoSchema
from gallery.api.schemas.search import SearchPhotoSchema, SearchQuerySchema, SearchReportSchema
from gallery.catalog.visibility import ANONYMOUS
from gallery.extensions import db
from gallery.models import Report, ReportStatus
from gallery.search.service import Sort, search
from tests.search.conftest import make_album, make_event, make_photo


def test_arguments() -> None:
    loaded = SearchQuerySchema().load({"q": "żółw", "day": "2024-05-07", "sort": "time", "limit": "5"})
    assert loaded["sort"] is Sort.time and loaded["day"].isoformat() == "2024-05-07" and loaded["limit"] == 5
    assert SearchQuerySchema().load({})["q"] == ""
    for bad in ({"sort": "newest"}, {"day": "07.05.2024"}, {"event": "x" * 121}, {"q": "x" * 501}):
        with pytest.raises(ma.ValidationError):
            SearchQuerySchema().load(bad)


def test_a_found_photo_is_the_album_json_photo_plus_album_and_highlight(app: Flask) -> None:
    album = make_album("gala")
    make_photo(album, "Żółw & <b>scena</b>")
    hit = search(db.session, "zolw", viewer=ANONYMOUS).photos[0]
    with app.test_request_context("/api/v1/search"):
        dumped = SearchPhotoSchema().dump(hit)
        plain = PhotoSchema().dump(hit.photo)
    assert {k: v for k, v in dumped.items() if k not in ("album", "highlight")} == plain
    assert dumped["album"] == "gala"
    assert dumped["highlight"] == "<mark>Żółw</mark> &amp; &lt;b&gt;scena&lt;/b&gt;"


def test_a_found_report_has_no_text(app: Flask) -> None:
    event = make_event()
    report = Report(event_id=event.id, slug="r", title="T", body="secret draft text", status=ReportStatus.published)
    db.session.add(report)
    db.session.commit()
    with app.test_request_context("/api/v1/search"):
        dumped = SearchReportSchema().dump(report)
    assert set(dumped) == {"slug", "event", "title", "language", "published_at", "url"}
