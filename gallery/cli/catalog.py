"""Catalogue commands: create-event, create-album."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.cli.group import gallery_cli, handle_errors
from gallery.core.audit import SYSTEM
from gallery.http import context


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
        context.db_session(),
        slug=slug,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=tz,
        location=location,
        description=description,
        actor=SYSTEM,
    )
    context.db_session().commit()
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
    event = catalog.get_event(context.db_session(), event_slug)
    album = albums.create_album(
        context.db_session(),
        event=event,
        slug=slug,
        title=title,
        visibility=visibility,
        description=description,
        actor=SYSTEM,
    )
    context.db_session().commit()
    click.echo(f"created {album.visibility.value} album {album.slug} in {event.slug}")
