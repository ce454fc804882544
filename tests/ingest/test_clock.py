"""Camera clock correction: recompute, re-sort, keep the raw EXIF value, apply to
later uploads, replace (not stack) corrections, DST-correct for naive times."""

from __future__ import annotations

from gallery.extensions import db
from gallery.models import AuditLog, Photo
from tests.ingest.conftest import camera_jpeg, upload


def order(client, token, slug):
    body = client.get(f"/api/v1/albums/{slug}", headers={"Authorization": f"Bearer {token}"}).get_json()
    return [p["filename"] for p in body["photos"]]


def test_correction_recomputes_resorts_and_keeps_raw(app, client, tokens, album):
    editor = tokens["editor"]
    # The Nikon's clock was 1 h 3 min behind: its 09:00 photo was really taken at 10:03.
    upload(client, editor, album.slug, camera_jpeg("2024:05:07 09:00:00", "NIKON Z 6_2", colour=(1, 0, 0)), "nikon.jpg")
    upload(
        client,
        editor,
        album.slug,
        camera_jpeg("2024:05:07 09:30:00", "Canon EOS R6", colour=(2, 0, 0)),
        "canon-0930.jpg",
    )
    upload(
        client,
        editor,
        album.slug,
        camera_jpeg("2024:05:07 10:30:00", "Canon EOS R6", colour=(3, 0, 0)),
        "canon-1030.jpg",
    )
    assert order(client, editor, album.slug) == ["nikon.jpg", "canon-0930.jpg", "canon-1030.jpg"]

    cameras = client.get(f"/api/v1/events/{album.event.slug}/cameras", headers={"Authorization": f"Bearer {editor}"})
    assert {(c["model"], c["photos"]) for c in cameras.get_json()["cameras"]} == {
        ("NIKON Z 6_2", 1),
        ("Canon EOS R6", 2),
    }

    request = {"make": "NIKON CORPORATION", "model": "NIKON Z 6_2", "offset_seconds": 3780}
    preview = client.post(
        f"/api/v1/events/{album.event.slug}/clock-corrections",
        json={**request, "preview": True},
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert preview.status_code == 200
    item = preview.get_json()["photos"][0]
    assert (item["taken_at_before"], item["taken_at_after"]) == ("2024-05-07T07:00:00Z", "2024-05-07T08:03:00Z")
    assert order(client, editor, album.slug)[0] == "nikon.jpg"  # preview changed nothing

    applied = client.post(
        f"/api/v1/events/{album.event.slug}/clock-corrections",
        json=request,
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert applied.status_code == 200 and applied.get_json()["changed"] == 1
    assert order(client, editor, album.slug) == ["canon-0930.jpg", "nikon.jpg", "canon-1030.jpg"]
    db.session.rollback()
    nikon = db.session.query(Photo).filter_by(original_filename="nikon.jpg").one()
    assert nikon.taken_at_raw == "2024:05:07 09:00:00"  # the original EXIF value is kept
    assert nikon.clock_offset_seconds == 3780
    assert "clock_corrected" in nikon.taken_at_flags
    assert db.session.query(AuditLog).filter_by(action="camera.clock_correct").count() == 1

    # A later upload from that camera is corrected on arrival.
    late = upload(
        client,
        editor,
        album.slug,
        camera_jpeg("2024:05:07 11:00:00", "NIKON Z 6_2", colour=(4, 0, 0)),
        "nikon-late.jpg",
    )
    assert late.get_json()["taken_at"] == "2024-05-07T10:03:00Z"
    assert late.get_json()["taken_at_local"] == "2024-05-07T12:03:00+02:00"

    # A new correction replaces the old one (it does not stack); 0 undoes it.
    client.post(
        f"/api/v1/events/{album.event.slug}/clock-corrections",
        json={**request, "offset_seconds": 0},
        headers={"Authorization": f"Bearer {editor}"},
    )
    db.session.rollback()
    nikon = db.session.query(Photo).filter_by(original_filename="nikon.jpg").one()
    assert nikon.taken_at.isoformat() == "2024-05-07T07:00:00+00:00" and nikon.clock_offset_seconds == 0
    assert "clock_corrected" not in nikon.taken_at_flags


def test_naive_times_are_reresolved_across_dst(app, client, tokens, album):
    # Brussels moved from +01:00 to +02:00 at 02:00 on 31 March 2024. A camera
    # 2 hours behind shows 00:30; the true wall time 02:30 falls in the gap.
    editor = tokens["editor"]
    body = upload(client, editor, album.slug, camera_jpeg("2024:03:31 00:30:00", "Canon EOS R6")).get_json()
    assert body["taken_at_local"] == "2024-03-31T00:30:00+01:00"
    response = client.post(
        f"/api/v1/events/{album.event.slug}/clock-corrections",
        json={"make": "Canon", "model": "Canon EOS R6", "offset_seconds": 3 * 3600},
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert response.status_code == 200
    photo = client.get(f"/api/v1/photos/{body['id']}", headers={"Authorization": f"Bearer {editor}"}).get_json()
    # 03:30 wall time is after the change: +02:00.
    assert photo["taken_at_local"] == "2024-03-31T03:30:00+02:00"
    assert photo["taken_at"] == "2024-03-31T01:30:00Z"


def test_serial_specific_correction_wins(app, client, tokens, album):
    editor = tokens["editor"]
    a = upload(
        client, editor, album.slug, camera_jpeg("2024:05:07 09:00:00", "Canon EOS R6", serial="111", colour=(5, 0, 0))
    ).get_json()
    b = upload(
        client, editor, album.slug, camera_jpeg("2024:05:07 09:00:00", "Canon EOS R6", serial="222", colour=(6, 0, 0))
    ).get_json()
    url = f"/api/v1/events/{album.event.slug}/clock-corrections"
    auth = {"Authorization": f"Bearer {editor}"}
    client.post(
        url, json={"make": "Canon", "model": "Canon EOS R6", "serial": "111", "offset_seconds": 60}, headers=auth
    )
    client.post(url, json={"make": "Canon", "model": "Canon EOS R6", "offset_seconds": 600}, headers=auth)
    got_a = client.get(f"/api/v1/photos/{a['id']}", headers=auth).get_json()["taken_at"]
    got_b = client.get(f"/api/v1/photos/{b['id']}", headers=auth).get_json()["taken_at"]
    assert (got_a, got_b) == ("2024-05-07T07:01:00Z", "2024-05-07T07:10:00Z")


def test_roles_and_validation(app, client, tokens, album):
    url = f"/api/v1/events/{album.event.slug}/clock-corrections"
    body = {"model": "X", "offset_seconds": 60}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": f"Bearer {tokens['photographer']}"}).status_code == 403
    auth = {"Authorization": f"Bearer {tokens['editor']}"}
    assert client.post(url, json={"model": "X", "offset_seconds": "1h"}, headers=auth).status_code == 422
    assert client.post(url, json={"model": "", "offset_seconds": 1}, headers=auth).status_code == 422
    assert client.post(url, json={"model": "X", "offset_seconds": 10**12}, headers=auth).status_code == 422
    assert client.post("/api/v1/events/nope/clock-corrections", json=body, headers=auth).status_code == 404
