"""Events (gallery/manage/events.py): list, create, edit (time zone validated; a new zone re-reads
naive capture times); the camera clock page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import Flask
from werkzeug.test import TestResponse

from gallery.catalog import events as catalog
from gallery.extensions import db
from gallery.models import AuditLog, ClockCorrection, Event, Photo
from tests.conftest import csrf_from
from tests.unit.manage.conftest import START, World, add_photo, audit_actions, fresh, token

FORM = {
    "title": "Cluster Days 2025",
    "starts_on": "2025-03-10",
    "ends_on": "2025-03-11",
    "timezone": "Europe/Warsaw",
    "location": "Kraków",
    "description": "Two days.",
}


def test_events_page_lists_events_with_their_albums_and_links(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    html = client.get("/manage/events").get_data(as_text=True)
    for text in (
        "European Cluster Conference",
        "Summit",
        "Main album",
        "/manage/events/ecc/edit",
        "/manage/events/ecc/reports",
        "/manage/events/ecc/clock",
        "/manage/events/ecc/albums/new",
        "/manage/albums/main/edit",
        "/manage/albums/main/photos",
        "/manage/events/new",
    ):
        assert text in html, text


def test_create_event(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    form = client.get("/manage/events/new")
    assert form.status_code == 200
    response = client.post("/manage/events/new", data={**FORM, "csrf_token": token(client, "/manage/events/new")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/events/cluster-days-2025/edit"
    event = catalog.get_event(db.session, "cluster-days-2025")
    assert (event.title, event.timezone, event.location, str(event.starts_on)) == (
        "Cluster Days 2025",
        "Europe/Warsaw",
        "Kraków",
        "2025-03-10",
    )
    assert audit_actions()[-1] == "event.create"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Event “Cluster Days 2025” created." in page


def test_create_event_bad_input_is_422_with_field_errors(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    before = db.session.query(Event).count()
    csrf = token(client)
    cases = [
        ({"timezone": "Europe/Brusels"}, "timezone", "not an IANA time zone"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"ends_on": "2025-03-01"}, "ends_on", "before starts_on"),
        ({"starts_on": "10.03.2025"}, "starts_on", "Not a valid date"),
        ({"title": ""}, "title", "This field is required"),
        ({"slug": "Bad Slug!"}, "slug", "not a valid slug"),
        ({"slug": "ecc"}, "slug", "taken"),
    ]
    for change, field, message in cases:
        response = client.post("/manage/events/new", data={**FORM, **change, "csrf_token": csrf})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, change
        assert f'id="{field}-error"' in html and message in html, (change, html[html.find("error") :][:300])
        assert 'aria-invalid="true"' in html
    assert db.session.query(Event).count() == before


def test_edit_event(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    page = client.get("/manage/events/ecc/edit")
    assert page.status_code == 200 and 'value="Europe/Brussels"' in page.get_data(as_text=True)
    data = {**FORM, "title": "ECC 2024", "timezone": "Europe/Brussels", "csrf_token": csrf_from_page(page)}
    response = client.post("/manage/events/ecc/edit", data=data)
    assert response.status_code == 302
    event = fresh(Event, world.event.id)
    assert (event.title, event.slug, event.location) == ("ECC 2024", "ecc", "Kraków")
    entry = db.session.query(AuditLog).order_by(AuditLog.id.desc()).first()
    assert entry.action == "event.update"
    assert entry.details["changes"]["title"] == ["European Cluster Conference", "ECC 2024"]
    # the same again: nothing changes, nothing is audited
    count = len(audit_actions())
    client.post("/manage/events/ecc/edit", data=data)
    assert len(audit_actions()) == count
    # bad zone: 422, nothing changed
    response = client.post("/manage/events/ecc/edit", data={**data, "timezone": "Brussels", "title": "Changed"})
    assert response.status_code == 422
    assert "did you mean Europe/Brussels" in response.get_data(as_text=True)
    assert fresh(Event, world.event.id).title == "ECC 2024"


def csrf_from_page(page: TestResponse) -> str:
    return csrf_from(page.get_data(as_text=True))


def test_new_time_zone_rereads_naive_capture_times_only(app: Flask, world: World) -> None:
    """A naive EXIF time (no offset in the file) was read in the event's zone: when the zone
    is corrected, its wall-clock time stays and its instant moves. Times with an offset stay."""
    naive = add_photo(world.album, taken_at=START, flags="naive_in_event_tz", offset_minutes=120)  # 09:00 local
    fixed = add_photo(world.album, taken_at=START, flags="offset_from_exif", offset_minutes=120)
    client = world.client(app, "editor")
    data = {
        "title": "European Cluster Conference",
        "starts_on": "2024-05-07",
        "ends_on": "2024-05-08",
        "timezone": "Europe/London",
        "location": "Brussels",
        "description": "",
        "csrf_token": token(client),
    }
    response = client.post("/manage/events/ecc/edit", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "re-read in the new time zone" in page
    moved, kept = fresh(Photo, naive.id), fresh(Photo, fixed.id)
    assert moved.taken_at == START + timedelta(hours=1)  # 09:00 in London (BST, +1) is 08:00 UTC
    assert moved.taken_at_offset_minutes == 60
    assert "naive_in_event_tz" in moved.taken_at_flags and "clock_corrected" not in moved.taken_at_flags
    assert kept.taken_at == START and kept.taken_at_offset_minutes == 120


def test_events_pages_are_editors_only(app: Flask, world: World) -> None:
    client = world.client(app, "photographer")
    for path in ("/manage/events", "/manage/events/new", "/manage/events/ecc/edit", "/manage/events/ecc/clock"):
        assert client.get(path).status_code == 403, path
    response = client.post("/manage/events/ecc/edit", data={**FORM, "csrf_token": token(client)})
    assert response.status_code == 403
    assert fresh(Event, world.event.id).title == "European Cluster Conference"


# --- the camera clock page ------------------------------------------------------------------------
# The camera clock page: cameras with counts, ranges and corrections; a preview of the
# new order (the camera's photos among the others); apply.


NIKON = json.dumps(["Nikon", "Z 6", "SN1"])
CANON = json.dumps(["Canon", "EOS R6", ""])


def preview_rows(page: str) -> list[tuple[str, str, bool]]:
    """(before → after, filename, affected) for every row of the preview tables."""
    rows = []
    for cls, number, name in re.findall(r'<tr class="(affected|other)">\s*<td>(\d+ → \d+)</td>\s*<td>([^<]+)', page):
        rows.append((number, name.strip(), cls == "affected"))
    return rows


def test_cameras_are_listed_with_counts_ranges_and_offsets(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    page = client.get("/manage/events/ecc/clock").get_data(as_text=True)
    assert "Canon EOS R6" in page and "Nikon Z 6 #SN1" in page
    assert "7 May 2024, 09:00:00" in page  # first Canon photo, in the event's zone (Brussels)
    assert "7 May 2024, 09:30:00" in page and "7 May 2024, 09:15:00" in page  # last Canon, last Nikon
    assert f'value="{NIKON.replace(chr(34), "&#34;")}"' in page


def test_preview_shows_the_new_order_and_changes_nothing(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    before = {p.id: p.taken_at for p in db.session.query(Photo)}
    response = client.get("/manage/events/ecc/clock", query_string={"camera": NIKON, "offset": "+20m"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Canon at 09:00, :10, :20, :30; Nikon at :05 and :15 → with +20m Nikon at :25 and :35
    names = {p.id: p.original_filename for p in db.session.query(Photo)}
    canon, nikon = world.editor_photos, world.own_photos
    # (the first photo is more than two places from the moved ones: a gap row stands for it)
    assert page.index('<tr class="gap">') < page.index('<tr class="affected">')
    assert preview_rows(page) == [
        ("3 → 2", names[canon[1]], False),
        ("5 → 3", names[canon[2]], False),
        ("2 → 4", names[nikon[0]], True),
        ("6 → 5", names[canon[3]], False),
        ("4 → 6", names[nikon[1]], True),
    ]
    assert "7 May 2024, 09:25:00" in page and "Apply the correction +20m" in page
    assert {p.id: p.taken_at for p in fresh_all()} == before
    assert db.session.query(ClockCorrection).count() == 0


def fresh_all() -> list[Photo]:
    db.session.expire_all()
    return list(db.session.query(Photo))


def test_preview_of_a_big_album_shows_neighbours_and_gaps(app: Flask, world: World) -> None:
    for i in range(30):
        add_photo(world.album, taken_at=START + timedelta(hours=2, minutes=i), commit=False)
    db.session.commit()
    client = world.client(app, "editor")
    page = client.get("/manage/events/ecc/clock", query_string={"camera": NIKON, "offset": "2h"}).get_data(as_text=True)
    rows = preview_rows(page)
    assert sum(1 for r in rows if r[2]) == 2
    assert len(rows) < 36 and '<tr class="gap">' in page


def test_apply_changes_capture_times_and_is_audited(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    response = client.post(
        "/manage/events/ecc/clock", data={"camera": NIKON, "offset": "+1h03m", "csrf_token": token(client)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/manage/events/ecc/clock"
    photo = fresh(Photo, world.own_photos[0])
    assert photo.taken_at == START + timedelta(minutes=5, hours=1, seconds=180)
    assert photo.clock_offset_seconds == 3780
    assert fresh(Photo, world.editor_photos[0]).taken_at == START  # other cameras untouched
    assert audit_actions()[-1] == "camera.clock_correct"
    page = client.get("/manage/events/ecc/clock").get_data(as_text=True)
    assert "+1h03m" in page  # the current correction in the camera list
    assert "2 photos got new capture times" in page


def test_bad_input_is_422(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    for query, message in [
        ({"camera": NIKON, "offset": "soon"}, "is not a correction"),
        ({"camera": NIKON, "offset": ""}, "This field is required"),
        ({"camera": json.dumps(["Leica", "M", ""]), "offset": "1h"}, "Choose one of the cameras listed"),
        ({"camera": "not json", "offset": "1h"}, "Choose one of the cameras listed"),
        ({"camera": NIKON, "offset": "99999d"}, "is not a correction"),
    ]:
        response = client.get("/manage/events/ecc/clock", query_string=query)
        assert response.status_code == 422, query
        assert message in response.get_data(as_text=True), query
    response = client.post(
        "/manage/events/ecc/clock", data={"camera": CANON, "offset": "x", "csrf_token": token(client)}
    )
    assert response.status_code == 422
    assert db.session.query(ClockCorrection).count() == 0
