"""Reports (gallery/manage/reports.py): list, create, edit, live preview (JSON) and the no-JS preview button,
draft/published, language, linked albums in order."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Report, ReportStatus, report_albums
from gallery.reports.render import render_report
from tests.unit.manage.conftest import World, audit_actions, fresh, token

BODY = """# Opening day

**Brussels, 7 May.** More than 700 delegates.

<script>alert("owned")</script>

A <img src="/x.png" onerror="alert(1)"> and [a bad link](javascript:alert(2)).

[album main]

[album nowhere]
"""


def linked(report_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(report_albums.c.album_id)
            .where(report_albums.c.report_id == report_id)
            .order_by(report_albums.c.position)
        )
    )


def report_form(world: World, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Day one",
        "language": "pl",
        "status": "draft",
        "body": BODY,
        "action": "save",
        "albums": [str(world.album.id), str(world.sibling.id)],
        f"album-position-{world.album.id}": "2",
        f"album-position-{world.sibling.id}": "1",
    }
    data.update(changes)
    return data


def test_create_report_with_ordered_albums(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    page = client.get("/manage/events/ecc/reports/new").get_data(as_text=True)
    assert "Main album" in page and "Sibling" in page and "Far" not in page  # albums of this event only
    response = client.post("/manage/events/ecc/reports/new", data={**report_form(world), "csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/manage/events/ecc/reports/day-one/edit"
    report = db.session.scalar(sa.select(Report).where(Report.slug == "day-one"))
    assert (report.title, report.language, report.status, report.published_at) == (
        "Day one",
        "pl",
        ReportStatus.draft,
        None,
    )
    assert report.author_id == world.users["editor"].id
    assert linked(report.id) == [world.sibling.id, world.album.id]  # by the position inputs
    assert audit_actions()[-1] == "report.create"
    listing = client.get("/manage/events/ecc/reports").get_data(as_text=True)
    assert "Day one" in listing and "Draft" in listing and "Polski" in listing


def test_publishing_sets_published_at_once(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    csrf = token(client)
    client.post("/manage/events/ecc/reports/new", data={**report_form(world), "csrf_token": csrf})
    report_id = db.session.scalar(sa.select(Report.id).where(Report.slug == "day-one"))
    url = "/manage/events/ecc/reports/day-one/edit"
    assert client.post(url, data={**report_form(world, status="published"), "csrf_token": csrf}).status_code == 302
    first = fresh(Report, report_id).published_at
    assert first is not None and fresh(Report, report_id).status == ReportStatus.published
    client.post(url, data={**report_form(world, status="draft"), "csrf_token": csrf})
    client.post(url, data={**report_form(world, status="published", title="Day one, again"), "csrf_token": csrf})
    report = fresh(Report, report_id)
    assert report.published_at == first and report.title == "Day one, again"
    # unlinking every album
    data = report_form(world, status="published")
    data.pop("albums")
    client.post(url, data={**data, "csrf_token": csrf})
    assert linked(report_id) == []
    edit = client.get(url).get_data(as_text=True)
    assert "First published" in edit


def test_report_bad_input_is_422_and_saves_nothing(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    csrf = token(client)
    cases = [
        ({"language": "de"}, "Not a valid choice"),
        ({"status": "archived"}, "Not a valid choice"),
        ({"title": ""}, "This field is required"),
        ({"albums": [str(world.far.id)]}, "Choose albums from the list"),
        ({"albums": ["x"]}, "Choose albums from the list"),
        ({f"album-position-{world.album.id}": "first"}, "whole number"),
        ({"slug": "no spaces allowed"}, "not a valid slug"),
    ]
    for change, message in cases:
        response = client.post(
            "/manage/events/ecc/reports/new", data={**report_form(world, **change), "csrf_token": csrf}
        )
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert db.session.query(Report).count() == 0


def test_live_preview_endpoint_renders_like_the_public_page(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    response = client.post(
        "/manage/reports/preview",
        data={"body": BODY},
        headers={"X-CSRFToken": token(client), "Accept": "application/json"},
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    html = response.get_json()["html"]
    public = render_report(BODY)
    for segment in public.segments:
        if hasattr(segment, "html"):
            assert str(segment.html) in html  # the very same sanitised HTML
    assert "<h2>Opening day</h2>" in html
    assert "<script" not in html and "alert(" not in html.replace("javascript:alert(2)", "")
    assert "onerror" not in html and 'href="javascript' not in html and "a bad link" in html
    assert "Photo strip of the album “Main album” (public)" in html
    assert "No album “nowhere”" in html
    too_long = client.post(
        "/manage/reports/preview", data={"body": "x" * 200_001}, headers={"X-CSRFToken": token(client)}
    )
    assert too_long.status_code == 422 and too_long.get_json()["error"]["field"] == "body"


def test_preview_button_without_javascript_rerenders_the_form(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    response = client.post(
        "/manage/events/ecc/reports/new",
        data={**report_form(world, action="preview", title="Kept title"), "csrf_token": token(client)},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html.split('id="report-preview"', 1)[1].split("</section>", 1)[0]
    assert "<h2>Opening day</h2>" in preview and "<script" not in preview and "onerror" not in preview
    assert "&lt;script&gt;" in html.split('name="body"', 1)[1]  # the text itself, escaped, in the textarea
    scripts = re.findall(r"<script\b[^>]*>", html)  # only the site's own module scripts, none from the body
    assert scripts == [
        '<script type="module" src="/static/js/theme.js">',  # every page's (base.html)
        '<script type="module" src="/static/js/manage-report.js">',  # the form's
    ]
    assert 'value="Kept title"' in html
    assert f'id="album-position-{world.album.id}" name="album-position-{world.album.id}" value="2"' in html
    assert db.session.query(Report).count() == 0  # a preview saves nothing


def test_reports_are_editors_only(app: Flask, world: World) -> None:
    client = world.client(app, "photographer")
    assert client.get("/manage/events/ecc/reports").status_code == 403
    assert client.get("/manage/events/ecc/reports/new").status_code == 403
    response = client.post("/manage/reports/preview", data={"body": "x"}, headers={"X-CSRFToken": token(client)})
    assert response.status_code == 403
