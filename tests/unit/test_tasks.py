"""Celery, the Flask documentation's celery_init_app pattern."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from gallery.config import load_settings
from gallery.tasks import MAKE_DERIVATIVES, QUEUE, celery_config, celery_init_app


def _settings(tmp_path: Path, **env: str):
    return load_settings({"GALLERY_ENV": "testing", "GALLERY_INSTANCE_PATH": str(tmp_path), **env})


def test_without_a_broker_tasks_run_in_process(tmp_path: Path) -> None:
    config = celery_config(_settings(tmp_path))
    assert config["task_always_eager"] is True and config["broker_url"] == "memory://"
    assert config["task_default_queue"] == QUEUE
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]


def test_with_a_broker_workers_run_them_and_a_short_visibility_timeout_is_swept_often(tmp_path: Path) -> None:
    config = celery_config(
        _settings(
            tmp_path,
            GALLERY_CELERY_BROKER_URL="redis://127.0.0.1:6379/5",
            GALLERY_CELERY_VISIBILITY_TIMEOUT="60",
        )
    )
    assert config["task_always_eager"] is False and config["broker_url"] == "redis://127.0.0.1:6379/5"
    assert config["broker_transport_options"] == {
        "visibility_timeout": 60,
        "unacked_restore_interval": 30,
        "unacked_restore_throttle": 1,
    }
    default = celery_config(_settings(tmp_path, GALLERY_CELERY_BROKER_URL="redis://127.0.0.1:6379/5"))
    assert default["broker_transport_options"] == {"visibility_timeout": 3600}


def test_each_flask_app_gets_its_celery_app_and_its_tasks_run_in_that_apps_context(tmp_path: Path) -> None:
    apps = [Flask(f"app{i}") for i in range(2)]
    celeries = []
    for app in apps:
        app.config["CELERY"] = celery_config(_settings(tmp_path))
        celeries.append(celery_init_app(app))
    assert [a.extensions["celery"] for a in apps] == celeries
    assert celeries[0] is not celeries[1]
    for app, celery in zip(apps, celeries, strict=True):
        assert MAKE_DERIVATIVES in celery.tasks

        @celery.task(name=f"probe-{app.name}", shared=False)
        def probe() -> str:
            return str(current_app.name)

        # An eager run elsewhere in this process (an upload test) may leave Celery thinking it is inside a
        # task; this test only asks which app context the task ran in, so joining is allowed here.
        assert probe.apply().get(disable_sync_subtasks=False) == app.name


def test_beat_sweeps_stuck_photos_and_audits_fixity_nightly(tmp_path: Path) -> None:
    from celery.schedules import crontab

    from gallery.tasks import FIXITY_AUDIT, SWEEP_STUCK

    settings = load_settings(
        {
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_SWEEP_INTERVAL_SECONDS": "120",
            "GALLERY_FIXITY_HOUR": "4",
        }
    )
    schedule = celery_config(settings)["beat_schedule"]
    sweep, audit = schedule["sweep-stuck-photos"], schedule["nightly-fixity-audit"]
    assert (sweep["task"], sweep["schedule"], sweep["options"]["queue"]) == (SWEEP_STUCK, 120.0, QUEUE)
    assert sweep["options"]["expires"] <= 120  # a backlog of sweeps never piles up
    assert audit["task"] == FIXITY_AUDIT and audit["schedule"] == crontab(minute=0, hour=4)


def test_the_sweeper_task_renders_a_stuck_photo_again(tmp_path: Path) -> None:
    """A photo left in processing (its task died with a worker) is ready again after one sweep."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import delete

    from gallery.app import create_app
    from gallery.extensions import db
    from gallery.models import Derivative, Photo, PhotoStatus, Role
    from gallery.tasks import SWEEP_STUCK
    from tests.archive.conftest import jpeg, make_album, upload
    from tests.conftest import make_token, make_user

    app = create_app({"GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_ENV": "testing"})
    with app.app_context():
        db.create_all()
        token = make_token(make_user(Role.editor))
        album = make_album("sweep")
        response = upload(app.test_client(), token, album.slug, jpeg(1))
        photo_id = response.get_json()["id"]
        db.session.execute(delete(Derivative).where(Derivative.photo_id == photo_id))
        photo = db.session.get(Photo, photo_id)
        assert photo is not None
        photo.status = PhotoStatus.processing
        photo.processing_since = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()

        swept = app.extensions["celery"].tasks[SWEEP_STUCK].apply().get()

        assert swept == [photo_id]
        db.session.rollback()
        photo = db.session.get(Photo, photo_id)
        assert photo is not None and photo.status == PhotoStatus.ready
        assert db.session.query(Derivative).filter_by(photo_id=photo_id).count() > 0
        assert app.extensions["celery"].tasks[SWEEP_STUCK].apply().get() == []  # nothing left to sweep
