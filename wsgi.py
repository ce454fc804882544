"""WSGI entry point from the checkout: ``gunicorn wsgi:app`` (installed from the wheel:
``gunicorn 'gallery:create_app()'``).

Celery workers: ``celery -A gallery.worker worker -Q gallery`` (see :mod:`gallery.worker`)."""

from gallery.console import create_app_or_exit

app = create_app_or_exit()
celery = app.extensions["celery"]  # kept for deployments started with `-A wsgi.celery`
