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
from typing import Any

from celery import Celery, Task, shared_task
from flask import Flask, current_app

from gallery.config import Settings
from gallery.extensions import db
from gallery.http import context
from gallery.photos import process
from gallery.storage import StorageError

log = logging.getLogger("gallery.tasks")
QUEUE = "gallery"
MAKE_DERIVATIVES = "gallery.make_derivatives"


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
    try:
        return process.process_photo(
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
