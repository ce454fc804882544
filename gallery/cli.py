"""``flask --app wsgi gallery …`` commands.  Thin: parse, call a service, report."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError

from .errors import GalleryError
from .extensions import db
from .models import Role
from .services import accounts, catalog
from .services.audit import SYSTEM
from .storage import StorageError

gallery_cli = AppGroup("gallery", help="Gallery administration commands.")

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn domain errors into a one-line message and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GalleryError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        except StorageError as exc:
            db.session.rollback()
            raise click.ClickException(f"storage unavailable: {exc}") from None
        except OperationalError as exc:
            db.session.rollback()
            raise click.ClickException(
                f"database unavailable: {exc.orig!s}".strip() + " (did you run `flask --app wsgi db upgrade`?)"
            ) from None

    return wrapper  # type: ignore[return-value]


@gallery_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="API-token-only account (cannot log in to the web).")
@with_appcontext
@handle_errors
def create_user(email: str, role: str, name: str, password_stdin: bool, no_password: bool) -> None:
    """Create a user account."""
    password: str | None
    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = accounts.create_user(db.session, email=email, role=role, password=password, name=name, actor=SYSTEM)
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@gallery_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'lightroom export'.")
@with_appcontext
@handle_errors
def create_token(email: str, name: str) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail {email!r}; create it with `gallery create-user`")
    if not user.active:
        raise click.ClickException(f"the user {user.email} is deactivated")
    issued = accounts.create_token(db.session, user=user, name=name, actor=SYSTEM)
    db.session.commit()
    click.echo(f"token {issued.token.prefix}… for {user.email} ({user.role.value}); it is shown only once:", err=True)
    click.echo(issued.secret)


@gallery_cli.command("revoke-token")
@click.argument("prefix")
@with_appcontext
@handle_errors
def revoke_token(prefix: str) -> None:
    """Revoke the API token whose displayed prefix is PREFIX."""
    token = accounts.revoke_token(db.session, prefix=prefix, actor=SYSTEM)
    db.session.commit()
    click.echo(f"revoked token {token.prefix}…")


@gallery_cli.command("create-event")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--starts-on", required=True, help="YYYY-MM-DD")
@click.option("--ends-on", required=True, help="YYYY-MM-DD")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. Europe/Warsaw")
@click.option("--location", default="")
@click.option("--description", default="")
@with_appcontext
@handle_errors
def create_event(slug: str, title: str, starts_on: str, ends_on: str, tz: str, location: str, description: str) -> None:
    """Create an event."""
    event = catalog.create_event(
        db.session,
        slug=slug,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=tz,
        location=location,
        description=description,
        actor=SYSTEM,
    )
    db.session.commit()
    click.echo(f"created event {event.slug}: {event.title} ({event.starts_on} – {event.ends_on}, {event.timezone})")


@gallery_cli.command("create-album")
@click.argument("slug")
@click.option("--event", "event_slug", required=True)
@click.option("--title", required=True)
@click.option("--visibility", type=click.Choice(["public", "unlisted", "private"]), default="public")
@click.option("--description", default="")
@with_appcontext
@handle_errors
def create_album(slug: str, event_slug: str, title: str, visibility: str, description: str) -> None:
    """Create an album in an event."""
    event = catalog.get_event(db.session, event_slug)
    album = catalog.create_album(
        db.session,
        event=event,
        slug=slug,
        title=title,
        visibility=visibility,
        description=description,
        actor=SYSTEM,
    )
    db.session.commit()
    click.echo(f"created {album.visibility.value} album {album.slug} in {event.slug}")


@gallery_cli.command("storage-check")
@click.option("--create-bucket", is_flag=True, help="Create the S3 bucket if it does not exist.")
@with_appcontext
def storage_check(create_bucket: bool) -> None:
    """Write, read, presign and delete a test object in the configured store."""
    from .app import get_storage
    from .storage.check import run_storage_check

    storage = get_storage()
    click.echo(f"checking {storage.describe()}")
    ok = run_storage_check(storage, create_bucket=create_bucket, report=click.echo)
    if not ok:
        click.echo("storage check FAILED", err=True)
        sys.exit(1)
    click.echo("storage check passed")


@gallery_cli.command("config")
@with_appcontext
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    for name, value in current_app.config["GALLERY_SETTINGS"].describe().items():
        click.echo(f"{name}={value}")
