"""/metrics (gallery.http.metrics): off unless GALLERY_METRICS, loopback or the token only, counts uploads
and times requests by URL rule."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.models import Role
from tests.archive.conftest import jpeg, make_album, upload
from tests.conftest import make_token, make_user

TOKEN = "metrics-token-" + "y" * 24


def _value(text: str, line_start: str) -> float:
    found = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


def test_off_by_default_is_404(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.app_config(GALLERY_METRICS="true")
def test_counts_an_upload_and_times_requests_by_rule(app: Flask) -> None:
    client = app.test_client()
    created = 'gallery_uploads_total{outcome="created"}'
    duplicate = 'gallery_uploads_total{outcome="duplicate"}'
    before = client.get("/metrics").get_data(as_text=True)
    rendered = 'gallery_derivative_duration_seconds_count{result="ready"}'
    token = make_token(make_user(Role.editor))
    album = make_album("metrics-album")
    data = jpeg(3)
    assert upload(client, token, album.slug, data).status_code == 201
    assert upload(client, token, album.slug, data).status_code == 200
    client.get(f"/albums/{album.slug}")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert _value(text, created) == _value(before, created) + 1
    assert _value(text, duplicate) == _value(before, duplicate) + 1
    # One observation per photo: its smallest size and then the rest are one run (publish_progressively).
    assert _value(text, rendered) == _value(before, rendered) + 1  # web sizes made in-process (eager)
    assert 'gallery_http_request_duration_seconds_count{method="GET",route="/albums/<album>"}' in text
    assert "metrics-album" not in text  # the rule, never the raw path


@pytest.mark.app_config(GALLERY_METRICS="true", GALLERY_METRICS_TOKEN=TOKEN)
def test_other_addresses_need_the_token(app: Flask) -> None:
    client = app.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 403
    wrong = {"Authorization": "Bearer wrong"}
    assert client.get("/metrics", environ_base=remote, headers=wrong).status_code == 403
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", environ_base=remote, headers=right).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.app_config(GALLERY_METRICS="true")
def test_without_a_token_other_addresses_are_refused(app: Flask) -> None:
    response = app.test_client().get(
        "/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"Authorization": "Bearer "}
    )
    assert response.status_code == 403


def test_queue_depth_is_read_from_the_broker_at_scrape_time(tmp_path, redis_db_url: str) -> None:
    from gallery.app import create_app
    from gallery.tasks import MAKE_DERIVATIVES

    app = create_app(
        {
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_ENV": "testing",
            "GALLERY_METRICS": "true",
            "GALLERY_CELERY_BROKER_URL": redis_db_url,
        }
    )
    client = app.test_client()
    depth = 'gallery_queue_depth{queue="gallery"}'
    assert _value(client.get("/metrics").get_data(as_text=True), depth) == 0  # nothing queued yet
    task = app.extensions["celery"].tasks[MAKE_DERIVATIVES]
    for photo_id in (1, 2, 3):
        task.delay(photo_id)  # no worker runs: they wait in Redis
    text = client.get("/metrics").get_data(as_text=True)
    assert _value(text, depth) == 3
    assert "# TYPE gallery_queue_depth gauge" in text


def test_queue_depth_is_left_out_when_the_broker_is_down(tmp_path) -> None:
    from gallery.app import create_app

    app = create_app(
        {
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_ENV": "testing",
            "GALLERY_METRICS": "true",
            "GALLERY_CELERY_BROKER_URL": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        }
    )
    response = app.test_client().get("/metrics")
    assert response.status_code == 200  # the other metrics still answer
    assert "gallery_queue_depth" not in response.get_data(as_text=True)
