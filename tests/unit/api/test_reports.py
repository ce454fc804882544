"""/api/v1/events/<event>/reports[/<report>]: list, read, write, change, delete, on SQLite and
PostgreSQL.  Report slugs are unique per event; photographers and visitors read published
reports only; linked albums are named by slug, and only those the reader may see listed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import AuditLog, Event, Report, ReportStatus
from tests.unit.api.helpers import call, error, every_page
from tests.web.helpers import make_album, make_event, make_report


@pytest.fixture
def event(app: Flask) -> Event:
    event = make_event(db.session, "ecc")
    make_album(db.session, event, "day-1")
    make_album(db.session, event, "backstage", visibility="private")
    other = make_event(db.session, "other")
    make_album(db.session, other, "elsewhere")
    return event


def post(client: FlaskClient, token: str, event: str = "ecc", **body: object):
    return call(client, "POST", f"/events/{event}/reports", token, json=body)


def test_write_a_report(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    response = post(client, tokens["editor"], title="Opening day", language="pl", body="# Hello", albums=["day-1"])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "slug": "opening-day", "event": "ecc", "title": "Opening day", "language": "pl", "translation_of": None,
        "status": "draft", "body": "# Hello", "published_at": None, "albums": ["day-1"],
        "url": "http://localhost/events/ecc/reports/opening-day",
    }  # fmt: skip
    assert response.headers["Location"] == body["url"]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "report.create"))
    assert entry is not None and entry.details["via"] == "api"


def test_report_slugs_are_unique_per_event(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    assert post(client, tokens["editor"], title="News", slug="news").status_code == 201
    assert error(post(client, tokens["admin"], title="Again", slug="news"), 409)["field"] == "slug"
    assert post(client, tokens["editor"], title="News").get_json()["slug"] == "news-2"  # made from the title
    assert post(client, tokens["editor"], "other", title="News", slug="news").status_code == 201  # another event
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "A", "language": "de"}, "language"), ({"title": "A", "status": "archived"}, "status"),
    ({"title": ""}, "title"), ({}, "title"), ({"title": "A", "albums": ["elsewhere"]}, "albums"),
    ({"title": "A", "albums": ["day-1", "day-1"]}, "albums"), ({"title": "A", "albums": "day-1"}, "albums"),
    ({"title": "A", "albums": [3]}, "albums"), ({"title": "A", "slug": "Not Valid"}, "slug"),
    ({"title": "A", "published_at": "2024-05-07T10:00:00Z"}, "published_at"),
    ({"title": "A", "body": "x" * (200_000 + 1)}, "body"),
])  # fmt: skip
def test_bad_reports_are_422(client: FlaskClient, tokens: dict[str, str], event: Event, body: dict, field: str) -> None:
    assert error(post(client, tokens["editor"], **body), 422)["field"] == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_photographers_read_published_reports_only(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    make_report(db.session, event, "published", "Text.")
    make_report(db.session, event, "draft", "Soon.", published=False, language="pl")
    for who in (None, tokens["photographer"]):
        listed = [r["slug"] for page in every_page(client, "/events/ecc/reports", who) for r in page]
        assert listed == ["published"]
        assert call(client, "GET", "/events/ecc/reports/published", who).status_code == 200
        assert error(call(client, "GET", "/events/ecc/reports/draft", who), 404)["code"] == "not_found"
    editor = [r["slug"] for page in every_page(client, "/events/ecc/reports", tokens["editor"]) for r in page]
    assert editor == ["published", "draft"]
    assert call(client, "GET", "/events/ecc/reports/draft", tokens["editor"]).get_json()["status"] == "draft"


def test_list_filters_and_pages(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    for n in range(5):
        make_report(db.session, event, f"r{n}", "Text.", published=n % 2 == 0, language="pl" if n < 3 else "en")
    editor = tokens["editor"]
    pages = every_page(client, "/events/ecc/reports", editor, limit=2)
    assert [[r["slug"] for r in p] for p in pages] == [["r0", "r1"], ["r2", "r3"], ["r4"]]
    assert [r["slug"] for p in every_page(client, "/events/ecc/reports", editor, status="draft") for r in p] == [
        "r1",
        "r3",
    ]
    got = every_page(client, "/events/ecc/reports", editor, language="en", status="published")
    assert [r["slug"] for p in got for r in p] == ["r4"]
    assert error(call(client, "GET", "/events/ecc/reports?language=de"), 422)["field"] == "language"
    assert error(call(client, "GET", "/events/nope/reports"), 404)["code"] == "not_found"


def test_linked_albums_show_as_the_reader_may_see_them(
    client: FlaskClient, tokens: dict[str, str], event: Event
) -> None:
    response = post(client, tokens["editor"], title="Both", status="published", albums=["backstage", "day-1"])
    assert response.get_json()["albums"] == ["backstage", "day-1"]
    assert call(client, "GET", "/events/ecc/reports/both").get_json()["albums"] == ["day-1"]


def test_change_a_report(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    assert post(client, tokens["editor"], title="News", albums=["day-1"]).status_code == 201
    response = call(client, "PATCH", "/events/ecc/reports/news", tokens["editor"], json={"status": "published"})
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "published" and body["published_at"].endswith("Z")
    assert body["albums"] == ["day-1"] and body["title"] == "News"  # left as they were
    first = body["published_at"]
    again = call(
        client, "PATCH", "/events/ecc/reports/news", tokens["editor"], json={"albums": [], "title": "Old news"}
    )
    assert again.get_json()["albums"] == [] and again.get_json()["published_at"] == first
    assert (
        error(call(client, "PATCH", "/events/ecc/reports/news", tokens["editor"], json={"slug": "x"}), 422)["field"]
        == "slug"
    )
    assert (
        call(client, "PATCH", "/events/ecc/reports/news", tokens["photographer"], json={"title": "x"}).status_code
        == 403
    )
    assert call(client, "PATCH", "/events/ecc/reports/nope", tokens["editor"], json={"title": "x"}).status_code == 404
    report = db.session.scalar(sa.select(Report).where(Report.slug == "news"))
    assert report is not None and report.status is ReportStatus.published


def test_delete_a_report(client: FlaskClient, tokens: dict[str, str], event: Event) -> None:
    make_report(db.session, event, "gone", "Text.", albums=[])
    assert call(client, "DELETE", "/events/ecc/reports/gone", tokens["photographer"]).status_code == 403
    assert call(client, "DELETE", "/events/ecc/reports/gone", tokens["editor"]).status_code == 204
    assert call(client, "GET", "/events/ecc/reports/gone", tokens["editor"]).status_code == 404
    assert call(client, "DELETE", "/events/ecc/reports/gone", tokens["editor"]).status_code == 404
