"""``gallery clock-correct``: a camera's clock offset for an event."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gallery.catalog import events as catalog
from gallery.cli.group import gallery_cli, handle_errors
from gallery.core.audit import SYSTEM
from gallery.http import context
from gallery.photos import clock
from gallery.photos.capture import event_time, event_zone


@gallery_cli.command("clock-correct")
@click.argument("event_slug")
@click.option("--make", default="", help="Camera make as in EXIF, e.g. Canon (only if makes share the model name).")
@click.option("--model", required=True, help="Camera model as in EXIF, e.g. 'NIKON Z 6_2'; any make unless --make.")
@click.option("--serial", default="", help="Only this body (default: every body of this model).")
@click.option(
    "--offset", "offset_text", required=True, help="Total correction, e.g. +1h03m (camera was behind) or -45m."
)
@click.option("--dry-run", is_flag=True, help="Show the new order without changing anything.")
@with_appcontext
@handle_errors
def clock_correct(event_slug: str, make: str, model: str, serial: str, offset_text: str, dry_run: bool) -> None:
    """Correct a camera's clock for an event: capture times are recomputed and
    albums re-sort; the original EXIF values are kept."""
    event = catalog.get_event(context.db_session(), event_slug)
    camera = clock.resolve_camera(
        context.db_session(), event, clock.Camera(make.strip(), model.strip(), serial.strip())
    )
    total = clock.parse_offset(offset_text)
    changes = clock.preview(context.db_session(), event, camera, total)
    if not changes:
        raise click.ClickException(f"no photos from {camera.label()} in {event.slug}")
    zone = event_zone(event)  # times on the event's clock, with its offset
    for item in changes:
        before, after = (event_time(when, zone) for when in (item.before, item.after))
        shown = " -> ".join(when.isoformat() if when else "-" for when in (before, after))
        click.echo(f"  {item.photo_id:>6} {item.filename[:40]:<40} {shown}")
    if dry_run:
        context.db_session().rollback()
        click.echo(f"dry run: {len(changes)} photo(s) of {camera.label()} would change")
        return
    changed = clock.apply(context.db_session(), event, camera, total, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"corrected {changed} photo(s) of {camera.label()} by {offset_text}")
