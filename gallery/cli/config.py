"""``gallery config``: the effective configuration."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gallery.cli.group import gallery_cli
from gallery.http import context


@gallery_cli.command("config")
@with_appcontext
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    for name, value in context.settings().describe().items():
        click.echo(f"{name}={value}")
