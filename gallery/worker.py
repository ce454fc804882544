"""Celery worker entry point that needs no checkout: ``celery -A gallery.worker worker -Q gallery``.

Celery's ``-A`` finds the Celery application in this module's ``app``; the Flask application
it runs the tasks in is ``flask_app`` (the same app ``wsgi.celery`` gives in the checkout)."""

from gallery.console import create_app_or_exit

flask_app = create_app_or_exit()
app = celery = flask_app.extensions["celery"]
