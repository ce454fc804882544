"""WSGI entry point: ``gunicorn wsgi:app``; Celery workers: ``celery -A wsgi.celery worker``.

Installed from the wheel (no checkout): ``gunicorn 'gallery:create_app()'`` and
``celery -A gallery.worker worker``."""

from gallery.console import create_app_or_exit

app = create_app_or_exit()
celery = app.extensions["celery"]
