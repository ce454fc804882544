"""The ``gallery`` command group and what its commands share: domain errors as one-line messages
with a non-zero exit status, reading a password, and making derivatives."""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from gallery.core.errors import GalleryError
from gallery.http import context
from gallery.photos import process
from gallery.storage import StorageError
from gallery.tasks import enqueue_derivatives

gallery_cli = AppGroup("gallery", help="Gallery administration commands.")

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into a one-line message and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except GalleryError as exc:
            context.db_session().rollback()
            raise click.ClickException(exc.message) from None
        except StorageError as exc:
            context.db_session().rollback()
            raise click.ClickException(f"storage unavailable: {exc}") from None
        except (OperationalError, ProgrammingError) as exc:
            # SQLite says "no such table" with an OperationalError, PostgreSQL with a ProgrammingError.
            context.db_session().rollback()
            reason = (str(exc.orig).strip().splitlines() or [""])[0]
            raise click.ClickException(
                f"database error: {reason} (did you run `flask --app wsgi db upgrade`?)"
            ) from None

    return wrapper


def read_password(from_stdin: bool) -> str:
    """A password from one line of standard input, or asked for twice at the terminal."""
    if not from_stdin:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    return password


def make_derivatives(
    photo_ids: Sequence[int], *, label: str, sizes: Sequence[int] | None = None
) -> Counter[str] | None:
    """The derivatives of ``photo_ids`` at ``sizes`` (default: ``GALLERY_DERIVATIVE_SIZES``): made here,
    one photo after the other with a progress bar called ``label``, when no Celery broker is
    configured (the resulting statuses are counted), else queued for the workers (None)."""
    settings = context.settings()
    wanted = tuple(sizes) if sizes else settings.derivative_sizes
    if settings.celery_broker_url is not None:
        override = list(wanted) if wanted != tuple(settings.derivative_sizes) else None
        with click.progressbar(photo_ids, label="queueing", file=sys.stderr) as queued:
            for photo_id in queued:
                enqueue_derivatives(photo_id, override)
        return None
    statuses: Counter[str] = Counter()
    storage = context.storage()
    with click.progressbar(photo_ids, label=label, show_pos=True, file=sys.stderr) as made:
        for photo_id in made:
            statuses[
                process.process_photo(
                    context.db_session(), storage, photo_id, sizes=wanted, max_pixels=settings.max_pixels
                )
            ] += 1
    return statuses
