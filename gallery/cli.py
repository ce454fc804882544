"""``flask --app wsgi gallery …`` commands.  Thin: parse, call a service, report."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
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


@gallery_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--album", "album_slug", required=True, help="Slug of the album to add the photos to.")
@click.option("--jobs", type=click.IntRange(1, 32), default=1, show_default=True, help="Files processed at once.")
@click.option("--as", "as_email", default=None, help="Record the photos as uploaded by this user.")
@with_appcontext
@handle_errors
def import_files(paths: tuple[Path, ...], album_slug: str, jobs: int, as_email: str | None) -> None:
    """Import photos from files and folders (recursively) into an album.

    Safe to run again after an interruption: files already in the album are
    recognised by their SHA-256 and skipped."""
    from .ingest.batch import FileResult, collect_files, run_import

    album = catalog.get_album(db.session, album_slug)
    user_id = None
    if as_email:
        user = accounts.find_user(db.session, as_email)
        if user is None:
            raise click.ClickException(f"no user with the e-mail {as_email!r}")
        user_id = user.id
    files = collect_files(paths)
    if not files:
        raise click.ClickException("no files found")
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"importing {len(files)} file(s) into {album.slug} with {jobs} job(s)")
    with click.progressbar(
        length=len(files), label="importing", show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:

        def advance(result: FileResult) -> None:
            bar.update(1)

        summary = run_import(app, files, album=album, actor_user_id=user_id, jobs=jobs, on_result=advance)
    click.echo(
        f"added: {len(summary.added)}, already there: {len(summary.exists)}, rejected: {len(summary.rejected)}"
    )
    failed = [r for r in summary.added + summary.exists if r.status == "failed"]
    for result in failed:
        click.echo(f"  derivatives failed: {result.path} (photo {result.photo_id}); retry with `gallery reprocess`")
    for result in summary.rejected:
        click.echo(f"  rejected: {result.path}: {result.reason}")
    if summary.rejected:
        sys.exit(1)


@gallery_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds events.")
@with_appcontext
@handle_errors
def demo(if_empty: bool) -> None:
    """Load the demo event (European Cluster Conference 2024, Brussels)."""
    from sqlalchemy import select

    from .ingest.process import process_photo
    from .models import Event
    from .services import demo as demo_service

    if if_empty and db.session.scalar(select(Event.id).limit(1)) is not None:
        click.echo("the database already has events; demo not loaded")
        return
    if demo_service.demo_exists(db.session):
        click.echo(f"the demo event {demo_service.EVENT_SLUG} is already loaded")
        return
    settings = current_app.config["GALLERY_SETTINGS"]
    storage = current_app.extensions["gallery_storage"]
    with click.progressbar(length=len(demo_service.SHOTS), label="demo photos", file=sys.stderr) as bar:
        event, album, photo_ids = demo_service.load_demo(
            db.session,
            storage,
            tmp_dir=settings.instance_path / "tmp",
            max_pixels=settings.max_pixels,
            actor=SYSTEM,
            on_photo=lambda done, total: bar.update(1),
        )
    if settings.celery_broker_url is None:
        with click.progressbar(photo_ids, label="derivatives", file=sys.stderr) as bar_ids:
            for photo_id in bar_ids:
                process_photo(
                    db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
                )
    else:
        from .tasks import enqueue_derivatives

        for photo_id in photo_ids:
            enqueue_derivatives(photo_id)
    click.echo(f"demo loaded: /events/{event.slug} and /albums/{album.slug} ({len(photo_ids)} photos)")


@gallery_cli.command("reprocess")
@click.option("--album", "album_slug", default=None, help="Only this album.")
@click.option("--all", "everything", is_flag=True, help="Regenerate every photo, not only failed or unfinished ones.")
@with_appcontext
@handle_errors
def reprocess(album_slug: str | None, everything: bool) -> None:
    """Regenerate derivatives: failed and unfinished photos, or all with --all.

    Resumable: each photo is finished on its own; run it again after an interruption."""
    from sqlalchemy import select

    from .ingest.process import process_photo
    from .models import Photo, PhotoStatus

    settings = current_app.config["GALLERY_SETTINGS"]
    storage = current_app.extensions["gallery_storage"]
    query = select(Photo.id).where(Photo.deleted_at.is_(None)).order_by(Photo.id)
    if album_slug:
        query = query.where(Photo.album_id == catalog.get_album(db.session, album_slug).id)
    if not everything:
        query = query.where(Photo.status.in_([PhotoStatus.failed, PhotoStatus.processing]))
    ids = list(db.session.scalars(query))
    db.session.commit()
    if not ids:
        click.echo("nothing to reprocess")
        return
    results: dict[str, int] = {}
    if settings.celery_broker_url is not None:
        from .tasks import enqueue_derivatives

        with click.progressbar(ids, label="queueing", file=sys.stderr) as bar:
            for photo_id in bar:
                enqueue_derivatives(photo_id)
        click.echo(f"queued {len(ids)} photo(s) for the Celery workers")
        return
    with click.progressbar(ids, label="reprocessing", show_pos=True, file=sys.stderr) as bar:
        for photo_id in bar:
            status = process_photo(
                db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )
            results[status] = results.get(status, 0) + 1
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(results.items())))
    if results.get("failed"):
        sys.exit(1)
