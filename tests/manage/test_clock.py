"""The camera clock page: cameras with counts, ranges and corrections; a preview of the
new order (the camera's photos among the others); apply."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import Flask

from gallery.extensions import db
from gallery.models import ClockCorrection, Photo
from tests.manage.conftest import START, World, add_photo, audit_actions, fresh, token

NIKON = json.dumps(["Nikon", "Z 6", "SN1"])
CANON = json.dumps(["Canon", "EOS R6", ""])


def preview_rows(page: str) -> list[tuple[str, str, bool]]:
    """(before → after, filename, affected) for every row of the preview tables."""
    rows = []
    for cls, number, name in re.findall(
        r'<tr class="(affected|other)">\s*<td>(\d+ → \d+)</td>\s*<td>([^<]+)', page
    ):
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
    response = client.post("/manage/events/ecc/clock", data={"camera": CANON, "offset": "x", "csrf_token": token(client)})
    assert response.status_code == 422
    assert db.session.query(ClockCorrection).count() == 0
