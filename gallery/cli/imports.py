"""Commands that bring photos in: ``import`` (files and folders) and ``demo`` (the demo event)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from gallery import demo as demo_service
from gallery.accounts import users as accounts
from gallery.catalog import albums
from gallery.cli.group import gallery_cli, handle_errors, make_derivatives
from gallery.core.audit import SYSTEM
from gallery.http import context
from gallery.models import Event
from gallery.photos.batch import FileResult, collect_files, run_import
from gallery.tasks import enqueue_derivatives


@gallery_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--album", "album_slug", required=True, help="Slug of the album to add the photos to.")
@click.option("--jobs", type=click.IntRange(1, 32), default=1, show_default=True, help="Files processed at once.")
@click.option("--as", "as_email", default=None, help="Record the photos as uploaded by this user.")
@click.option(
    "--raw", "raw", is_flag=True, help="Import camera raw files that have no JPEG twin as photos of their own."
)
@with_appcontext
@handle_errors
def import_files(paths: tuple[Path, ...], album_slug: str, jobs: int, as_email: str | None, raw: bool) -> None:
    """Import photos from files and folders (recursively) into an album.

    Safe to run again after an interruption: files already in the album are
    recognised by their SHA-256 and skipped.  Videos, sidecars, system files and
    (without --raw) camera raw files are listed as skipped; an XMP sidecar's caption,
    credit and keywords go to the photo of the same name.  Exits 1 only when a file
    meant as a photo was rejected."""
    album = albums.get_album(context.db_session(), album_slug)
    user_id = None
    if as_email:
        user = accounts.find_user(context.db_session(), as_email)
        if user is None:
            raise click.ClickException(f"no user with the e-mail {as_email!r}")
        user_id = user.id
    hidden: list[Path] = []
    files = collect_files(paths, hidden=hidden)
    if not files and not hidden:
        raise click.ClickException("no files found")
    context.db_session().commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = context.settings()
    click.echo(f"importing {len(files) + len(hidden)} file(s) into {album.slug} with {jobs} job(s)")
    with click.progressbar(
        length=len(files) + len(hidden), label="importing", show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:

        def advance(result: FileResult) -> None:
            bar.update(1)

        summary = run_import(
            files,
            album=album,
            actor_user_id=user_id,
            settings=settings,
            storage=context.storage(),
            context=app.app_context,
            queue=None if settings.celery_broker_url is None else enqueue_derivatives,
            jobs=jobs,
            on_result=advance,
            raw=raw,
            hidden=hidden,
        )
    click.echo(
        f"added: {len(summary.added)}, already there: {len(summary.exists)}, "
        f"rejected: {len(summary.rejected)}, skipped: {len(summary.skipped)}"
    )
    failed = [r for r in summary.added + summary.exists if r.status == "failed"]
    for result in failed:
        click.echo(f"  derivatives failed: {result.path} (photo {result.photo_id}); retry with `gallery reprocess`")
    if summary.deleted:
        click.echo(f"deleted earlier, not restored: {len(summary.deleted)} (an editor can restore them from the bin)")
    for result in summary.deleted:
        click.echo(f"  deleted earlier: {result.path}")
    if summary.skipped:
        click.echo(f"skipped, not photos: {len(summary.skipped)}")
    for result in summary.skipped:
        click.echo(f"  skipped: {result.path} ({result.reason})")
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
    if if_empty and context.db_session().scalar(select(Event.id).limit(1)) is not None:
        click.echo("the database already has events; demo not loaded")
        return
    if demo_service.demo_exists(context.db_session()):
        click.echo(f"the demo event {demo_service.EVENT_SLUG} is already loaded")
        return
    settings = context.settings()
    storage = context.storage()
    with click.progressbar(length=len(demo_service.SHOTS), label="demo photos", file=sys.stderr) as bar:
        event, album, photo_ids = demo_service.load_demo(
            context.db_session(),
            storage,
            tmp_dir=settings.instance_path / "tmp",
            max_pixels=settings.max_pixels,
            actor=SYSTEM,
            on_photo=lambda done, total: bar.update(1),
        )
    make_derivatives(photo_ids, label="derivatives")
    click.echo(f"demo loaded: /events/{event.slug} and /albums/{album.slug} ({len(photo_ids)} photos)")
