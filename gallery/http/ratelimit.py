"""Whether the login rate limits hold across web processes.

Flask-Limiter counts in ``GALLERY_RATELIMIT_STORAGE_URL`` (the Redis broker when one is
configured).  With ``memory://`` every process counts on its own, so N gunicorn workers allow
N times the attempts; gunicorn.conf.py's ``when_ready`` hook says so once, at start."""

from __future__ import annotations

from typing import Any


def unshared_store_warning(storage_url: str, processes: int) -> str | None:
    """The warning for ``processes`` web processes counting in ``storage_url``, or None."""
    if processes <= 1 or not storage_url.startswith("memory://"):
        return None
    return (
        f"login rate limits are counted in each of the {processes} gunicorn workers separately "
        f"(GALLERY_RATELIMIT_STORAGE_URL={storage_url}), so they allow {processes} times the attempts: "
        "point GALLERY_RATELIMIT_STORAGE_URL (or GALLERY_CELERY_BROKER_URL) at Redis, e.g. redis://127.0.0.1:6379/1"
    )


def when_ready(server: Any) -> None:
    """gunicorn server hook (the arbiter, once it listens): warn about unshared rate limits."""
    from gallery.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError:
        return  # the workers stop with the message
    warning = unshared_store_warning(settings.ratelimit_storage_url, int(server.cfg.workers))
    if warning:
        server.log.warning(warning)
