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
