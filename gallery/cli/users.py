"""User and API token commands: create-user, create-token, revoke-token, set-password,
password-link, set-role, deactivate-user, activate-user.  A new password or a deactivation ends
every login session and API token of the user (see ``gallery.accounts.sessions``).  They call the
same domain functions as ``/manage/users`` (``gallery.accounts.admin``), so the same rules hold:
the last active admin is neither demoted nor deactivated."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gallery.accounts import admin
from gallery.accounts import users as accounts
from gallery.cli.group import gallery_cli, handle_errors, read_password
from gallery.core.audit import SYSTEM
from gallery.http import context
from gallery.models import Role, User


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
    password = None if no_password else read_password(password_stdin)
    user = accounts.create_user(
        context.db_session(), email=email, role=role, password=password, name=name, actor=SYSTEM
    )
    context.db_session().commit()
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@gallery_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'lightroom export'.")
@with_appcontext
@handle_errors
def create_token(email: str, name: str) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    user = accounts.find_user(context.db_session(), email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail {email!r}; create it with `gallery create-user`")
    if not user.active:
        raise click.ClickException(f"the user {user.email} is deactivated")
    issued = accounts.create_token(context.db_session(), user=user, name=name, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"token {issued.token.prefix}… for {user.email} ({user.role.value}); it is shown only once:", err=True)
    click.echo(issued.secret)


@gallery_cli.command("revoke-token")
@click.argument("prefix")
@with_appcontext
@handle_errors
def revoke_token(prefix: str) -> None:
    """Revoke the API token whose displayed prefix is PREFIX."""
    token = accounts.revoke_token(context.db_session(), prefix=prefix, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"revoked token {token.prefix}…")


def _user(email: str) -> User:
    user = accounts.find_user(context.db_session(), email)
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
    ended = admin.set_password(context.db_session(), user=user, password=read_password(password_stdin), actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"new password for {user.email}; {_ended(ended)}")


@gallery_cli.command("deactivate-user")
@click.argument("email")
@with_appcontext
@handle_errors
def deactivate_user(email: str) -> None:
    """Stop a user from logging in; logs them out everywhere and revokes their API tokens."""
    user = _user(email)
    ended = admin.set_active(context.db_session(), user=user, active=False, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"deactivated {user.email}; {_ended(ended)}")


@gallery_cli.command("activate-user")
@click.argument("email")
@with_appcontext
@handle_errors
def activate_user(email: str) -> None:
    """Let a deactivated user log in again (old sessions and tokens stay ended)."""
    user = _user(email)
    admin.set_active(context.db_session(), user=user, active=True, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"activated {user.email}")


@gallery_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
@handle_errors
def set_role(email: str, role: str) -> None:
    """Give a user another role (the last active admin keeps theirs)."""
    user = _user(email)
    changed = admin.change_role(context.db_session(), user=user, role=role, actor=SYSTEM)
    context.db_session().commit()
    click.echo(f"{user.email} is now {user.role.value}" if changed else f"{user.email} already is {role}")


@gallery_cli.command("password-link")
@click.argument("email")
@with_appcontext
@handle_errors
def password_link(email: str) -> None:
    """Print a one-time link (valid 72 hours) for the user to choose a new password, alone on the
    last line; their current password keeps working until the link is used."""
    user = _user(email)
    issued = admin.reset_link(context.db_session(), user=user, actor=SYSTEM)
    context.db_session().commit()
    click.echo(
        f"set-password link for {user.email}, valid until {issued.link.expires_at:%Y-%m-%d %H:%M} UTC:", err=True
    )
    base_url = context.settings().base_url
    if not base_url:
        click.echo("(GALLERY_BASE_URL is not set: put the site's address before the path)", err=True)
    click.echo(f"{base_url or ''}{issued.path}")
