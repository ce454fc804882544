"""Account commands: a new password, deactivation and reactivation.  A new password or a
deactivation ends every login session and API token of the user (see ``gallery.accounts.sessions``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gallery.accounts import users as accounts
from gallery.cli import gallery_cli, handle_errors, read_password
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import User


def _user(email: str) -> User:
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail {email!r}")
    return user


def _ended(ended: accounts.Ended) -> str:
    sessions = f"{ended.sessions} session" + ("" if ended.sessions == 1 else "s")
    tokens = f"{ended.tokens} API token" + ("" if ended.tokens == 1 else "s")
    return f"ended {sessions} and revoked {tokens}"


@gallery_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@with_appcontext
@handle_errors
def set_password(email: str, password_stdin: bool) -> None:
    """Give a user a new password; logs them out everywhere and revokes their API tokens."""
    user = _user(email)
    ended = accounts.set_password(db.session, user=user, password=read_password(password_stdin), actor=SYSTEM)
    db.session.commit()
    click.echo(f"new password for {user.email}; {_ended(ended)}")


@gallery_cli.command("deactivate-user")
@click.argument("email")
@with_appcontext
@handle_errors
def deactivate_user(email: str) -> None:
    """Stop a user from logging in; logs them out everywhere and revokes their API tokens."""
    user = _user(email)
    ended = accounts.set_active(db.session, user=user, active=False, actor=SYSTEM)
    db.session.commit()
    click.echo(f"deactivated {user.email}; {_ended(ended)}")


@gallery_cli.command("activate-user")
@click.argument("email")
@with_appcontext
@handle_errors
def activate_user(email: str) -> None:
    """Let a deactivated user log in again (old sessions and tokens stay ended)."""
    user = _user(email)
    accounts.set_active(db.session, user=user, active=True, actor=SYSTEM)
    db.session.commit()
    click.echo(f"activated {user.email}")
