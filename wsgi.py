"""WSGI entry point: ``gunicorn wsgi:app``; Celery workers: ``celery -A wsgi.celery worker``."""

import sys

from gallery.app import create_app
from gallery.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a message a person can act on, not a traceback
    print(f"Gallery configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
celery = app.extensions["celery"]
