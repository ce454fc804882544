"""Celery, as the Flask documentation's ``celery_init_app`` pattern has it, and the tasks.

``create_app`` calls :func:`celery_init_app`: every Flask app gets its own Celery app
(``app.extensions["celery"]``, configured from ``app.config["CELERY"]``) whose tasks run in that
Flask app's context.  Tasks are ``shared_task``s, so they belong to whichever Celery app runs them.

Without ``GALLERY_CELERY_BROKER_URL`` tasks run in-process (eager), so a fresh machine needs nothing
but Python.  With a Redis broker the workers run them::

    celery -A gallery.worker worker -Q gallery

Tasks are acknowledged late and re-queued if a worker dies, so an interrupted task runs again
(every task here is idempotent)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from celery import Celery, Task, shared_task
from celery.schedules import crontab
from flask import Flask, current_app

from gallery.archive import fixity
from gallery.config import Settings
from gallery.core import metrics
from gallery.extensions import db
from gallery.http import context
from gallery.photos import process, stuck
from gallery.storage import StorageError

log = logging.getLogger("gallery.tasks")
QUEUE = "gallery"
MAKE_DERIVATIVES = "gallery.make_derivatives"
SWEEP_STUCK = "gallery.sweep_stuck"
FIXITY_AUDIT = "gallery.fixity_audit"


def _transport_options(visibility_timeout: int) -> dict[str, int]:
    """Redis: a task a worker took but never acknowledged (the worker died) is handed out again
    ``visibility_timeout`` seconds later.  kombu sweeps for such tasks about every 100 s, which
    suits the default hour; a short timeout (GALLERY_CELERY_VISIBILITY_TIMEOUT) is swept about
    twice per timeout."""
    options = {"visibility_timeout": visibility_timeout}
    if visibility_timeout < 600:
        options.update(unacked_restore_interval=max(1, visibility_timeout // 2), unacked_restore_throttle=1)
    return options


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration (``app.config["CELERY"]``) for ``settings``: eager without a broker."""
    return {
        "broker_url": settings.celery_broker_url or "memory://",
        "result_backend": None,
        "task_ignore_result": True,
        "task_always_eager": settings.celery_broker_url is None,
        "task_eager_propagates": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": _transport_options(settings.celery_visibility_timeout),
        "task_serializer": "json",
        "accept_content": ["json"],
        "beat_schedule": beat_schedule(settings),
    }


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """What Celery beat (``celery -A gallery.worker beat``; run exactly one) starts: the stuck-photo
    sweeper every ``GALLERY_SWEEP_INTERVAL_SECONDS`` and the fixity audit each night at
    ``GALLERY_FIXITY_HOUR`` UTC.  Each expires before its next run, so a backlog never piles up."""
    ops = settings.operations
    return {
        "sweep-stuck-photos": {
            "task": SWEEP_STUCK,
            "schedule": float(ops.sweep_interval_seconds),
            "options": {"queue": QUEUE, "expires": float(ops.sweep_interval_seconds)},
        },
        "nightly-fixity-audit": {
            "task": FIXITY_AUDIT,
            "schedule": crontab(minute=0, hour=ops.fixity_hour),
            "options": {"queue": QUEUE, "expires": 20 * 3600.0},
        },
    }


def celery_init_app(app: Flask) -> Celery:
    """A Celery app for ``app``, whose tasks each run in a fresh app context of ``app`` (their own
    database session).  Stored as ``app.extensions["celery"]``: the worker entry point
    (:mod:`gallery.worker`) finds it there."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app: Celery = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


@shared_task(name=MAKE_DERIVATIVES, bind=True, acks_late=True, autoretry_for=(), max_retries=5)
def make_derivatives(self: Task, photo_id: int, sizes: list[int] | None = None) -> str:
    """Render and store the derivatives of one photo (idempotent).

    ``sizes`` overrides ``GALLERY_DERIVATIVE_SIZES`` (``gallery reprocess --sizes``)."""
    settings = context.settings()
    if settings.test_task_delay:  # test hook (GALLERY_ENV=testing only): lets a test kill the worker mid-task
        time.sleep(settings.test_task_delay)
    # In-process (eager) there is no retry loop, nor after the last retry: a storage failure
    # then marks the photo `failed` with the reason (logged) for `gallery reprocess`.
    retries_left = self.max_retries is None or self.request.retries < self.max_retries
    retry_follows = not self.app.conf.task_always_eager and retries_left
    # A new photo (no sizes given) goes live with its smallest size first; a re-render
    # (`gallery reprocess --sizes`) replaces every size at once.
    render = process.process_photo if sizes else process.publish_progressively
    try:
        return render(
            context.db_session(),
            context.storage(),
            photo_id,
            sizes=tuple(sizes) if sizes else settings.derivative_sizes,
            max_pixels=settings.max_pixels,
            retry_follows=retry_follows,
        )
    except StorageError as exc:
        raise self.retry(exc=exc, countdown=min(60, 5 * 2**self.request.retries)) from exc
    finally:
        db.session.remove()


@shared_task(name=SWEEP_STUCK, acks_late=True)
def sweep_stuck_photos() -> list[int]:
    """Hand photos stuck in ``processing`` (their task was lost with a dead process or broker) to
    the renderer again; derivative work is idempotent, so a slow task swept by mistake costs only time."""
    settings = context.settings()
    try:
        ids = stuck.sweep_stuck(
            context.db_session(), stuck_after=timedelta(minutes=settings.operations.stuck_after_minutes)
        )
        for photo_id in ids:
            enqueue_derivatives(photo_id)
        metrics.count_stuck_requeued(len(ids))
        return ids
    finally:
        db.session.remove()


@shared_task(name=FIXITY_AUDIT, acks_late=True)
def fixity_audit() -> str:
    """Tonight's share of the fixity audit (see :mod:`gallery.archive.fixity`)."""
    settings = context.settings()
    try:
        run = fixity.run_fixity_audit(
            context.db_session(), context.storage(), cycle_days=settings.operations.fixity_cycle_days
        )
        return run.summary()
    finally:
        db.session.remove()


def enqueue_derivatives(photo_id: int, sizes: list[int] | None = None) -> None:
    """Queue derivative rendering with the current Flask app's Celery app; a broker outage leaves
    the photo `processing` (its original is safe) for `gallery reprocess` to pick up."""
    task = current_app.extensions["celery"].tasks[MAKE_DERIVATIVES]
    try:
        if sizes:
            task.delay(photo_id, list(sizes))
        else:
            task.delay(photo_id)
    except Exception as exc:  # noqa: BLE001 - kombu/redis connection errors, whatever their class
        log.error("could not queue derivatives for photo %s: %s", photo_id, exc)
