"""The ``gallery`` console script: Flask's command line on the application factory.

``gallery db upgrade``, ``gallery run``, ``gallery shell`` and every ``flask --app wsgi gallery X``
as ``gallery X`` (the gallery commands are also still under ``gallery gallery X``).  Works from any
folder: nothing here depends on the checkout."""

from __future__ import annotations

import sys

from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from gallery.app import create_app
from gallery.cli import gallery_cli
from gallery.config import ConfigError


def create_app_or_exit() -> Flask:
    """For the process entry points (``wsgi.py``, ``gallery.worker``): a configuration error is one
    line a person can act on and exit status 2, not a traceback."""
    try:
        return create_app()
    except ConfigError as exc:
        print(f"Gallery configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _create_app_for_cli() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        # Flask's command line prints this as one "Error: …" line (exit status 2).
        raise NoAppException(f"Gallery configuration error: {exc}") from None


cli = FlaskGroup(name="gallery", create_app=_create_app_for_cli, help="Gallery: event photo gallery and media archive.")
for _name, _command in gallery_cli.commands.items():
    cli.add_command(_command, _name)


def main() -> None:
    cli.main(prog_name="gallery")
