"""``gallery import-schedule EVENT FILE.ics``: an event's programme from an iCalendar file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from gallery.catalog import events as catalog
from gallery.cli.group import gallery_cli, handle_errors
from gallery.core.audit import SYSTEM
from gallery.http import context
from gallery.schedule import ical, service


@gallery_cli.command("import-schedule")
@click.argument("event_slug", metavar="EVENT")
@click.argument("path", metavar="FILE.ics", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@handle_errors
def import_schedule(event_slug: str, path: Path) -> None:
    """Import an event's programme (sessions) from an iCalendar file.  Sessions already imported
    (same UID) are updated; times without a zone are read in the event's time zone."""
    try:
        size = path.stat().st_size
        if size > ical.MAX_FILE_BYTES:
            raise click.ClickException(f"{path}: larger than {ical.MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror or exc}") from None
    session = context.db_session()
    event = catalog.get_event(session, event_slug)
    result = service.import_schedule(session, event, data, actor=SYSTEM)
    session.commit()
    click.echo(
        f"{event.slug}: {len(result.created)} sessions added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged, {len(result.skipped)} entries skipped"
    )
    for skipped in result.skipped:
        click.echo(f"  skipped {skipped.title}: {skipped.reason}")
    for missing in result.missing:
        click.echo(f"  not in this file any more (kept; delete it if it was dropped): {missing.slug}")
