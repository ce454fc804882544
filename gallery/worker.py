"""Celery worker entry point (the Flask documentation's ``make_celery`` module)::

    celery -A gallery.worker worker -Q gallery

It needs no checkout.  Celery's ``-A`` finds the Celery application in this module's ``app``
(:func:`gallery.tasks.celery_init_app` made it for the Flask application ``flask_app``, whose
context every task runs in)."""

from gallery.console import create_app_or_exit

flask_app = create_app_or_exit()
app = celery = flask_app.extensions["celery"]
