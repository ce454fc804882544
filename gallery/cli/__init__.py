"""``gallery COMMAND`` (and ``flask --app wsgi gallery COMMAND``): the command group
(:mod:`gallery.cli.group`) with the commands of its modules.  Thin: parse, call the domain, report."""

from __future__ import annotations

from gallery.cli import archive, catalog, clock, config, imports, schedule, users
from gallery.cli.group import gallery_cli

__all__ = ["archive", "catalog", "clock", "config", "gallery_cli", "imports", "schedule", "users"]
