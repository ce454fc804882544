"""Celery app and tasks.

Without ``GALLERY_CELERY_BROKER_URL`` tasks run in-process (eager), so a fresh
machine needs nothing but Python.  With a Redis broker, ``celery -A wsgi worker``
runs them; tasks are acknowledged late and re-queued if a worker dies, so an
interrupted task runs again (every task here is idempotent)."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context

celery_app = Celery("gallery")


class FlaskTask(Task):  # type: ignore[misc]
    """Runs each task in a fresh app context (its own database session).

    Eager tasks use the app of the caller (request or CLI command); on a worker
    the app that ``init_celery`` registered is used."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        app = current_app._get_current_object() if has_app_context() else self.app.flask_app  # type: ignore[attr-defined]
        with app.app_context():
            return self.run(*args, **kwargs)


def _transport_options(visibility_timeout: int) -> dict[str, int]:
    """Redis: a task a worker took but never acknowledged (the worker died) is handed out again
    ``visibility_timeout`` seconds later.  kombu sweeps for such tasks about every 100 s, which
    suits the default hour; a short timeout (GALLERY_CELERY_VISIBILITY_TIMEOUT) is swept about
    twice per timeout."""
    options = {"visibility_timeout": visibility_timeout}
    if visibility_timeout < 600:
        options.update(unacked_restore_interval=max(1, visibility_timeout // 2), unacked_restore_throttle=1)
    return options


def init_celery(app: Flask) -> Celery:
    settings = app.config["GALLERY_SETTINGS"]
    celery_app.flask_app = app  # type: ignore[attr-defined]
    eager = settings.celery_broker_url is None
    broker_url = settings.celery_broker_url or "memory://"
    if celery_app.conf.broker_url != broker_url:
        # Another app in this process (tests) used another broker: forget the connection pools
        # Celery made for it, or messages would still go there.  (Not closed: kombu's global
        # producer registry may still hand them out.)
        celery_app._pool = None
        amqp = celery_app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None
    celery_app.conf.update(
        broker_url=broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_always_eager=eager,
        task_eager_propagates=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="gallery",
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings.celery_visibility_timeout),
        task_serializer="json",
        accept_content=["json"],
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


@celery_app.task(
    base=FlaskTask,
    name="gallery.make_derivatives",
    bind=True,
    acks_late=True,
    autoretry_for=(),
    max_retries=5,
)
def make_derivatives(self: Task, photo_id: int, sizes: list[int] | None = None) -> str:
    """Render and store the derivatives of one photo (idempotent).

    ``sizes`` overrides ``GALLERY_DERIVATIVE_SIZES`` (``gallery reprocess --sizes``)."""
    import time

    from flask import current_app

    from gallery.extensions import db
    from gallery.photos.process import process_photo
    from gallery.storage import StorageError

    settings = current_app.config["GALLERY_SETTINGS"]
    storage = current_app.extensions["gallery_storage"]
    if settings.test_task_delay:  # test hook (GALLERY_ENV=testing only): lets a test kill the worker mid-task
        time.sleep(settings.test_task_delay)
    # In-process (eager) there is no retry loop, nor after the last retry: a storage failure
    # then marks the photo `failed` with the reason (logged) for `gallery reprocess`.
    retry_follows = not celery_app.conf.task_always_eager and self.request.retries < self.max_retries
    try:
        return process_photo(
            db.session,
            storage,
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
    """Queue derivative rendering; a broker outage leaves the photo `processing`
    (its original is safe) for `gallery reprocess` to pick up."""
    import logging

    try:
        if sizes:
            make_derivatives.delay(photo_id, list(sizes))
        else:
            make_derivatives.delay(photo_id)
    except Exception as exc:  # kombu/redis connection errors
        logging.getLogger("gallery.tasks").error("could not queue derivatives for photo %s: %s", photo_id, exc)
