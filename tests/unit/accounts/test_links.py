"""One-time set-password links (gallery/accounts/links.py): stored hashed, work once, expire after
72 hours (the clock moved), end when a newer link comes, and never revive a deactivated user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.accounts import links
from gallery.accounts.models import PasswordLink
from gallery.accounts.passwords import WeakPasswordError
from gallery.core.audit import SYSTEM
from gallery.core.errors import ConflictError, NotFoundError
from gallery.extensions import db
from gallery.models import AuditLog, Role, User, utcnow
from tests.conftest import make_user

NEW_PASSWORD = "violet piano under seventeen lamps"


@pytest.fixture
def ola(app: Flask) -> User:
    return make_user(Role.editor, "ola@example.org")


def test_only_the_hash_is_stored_and_the_link_lasts_72_hours(ola: User) -> None:
    issued = links.issue(db.session, user=ola, purpose="invite", actor=SYSTEM)
    db.session.commit()
    row = db.session.scalars(sa.select(PasswordLink)).one()
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in row.token_hash and len(issued.secret) >= 40
    assert row.expires_at - row.created_at == timedelta(hours=72) == links.LIFETIME
    assert issued.path == f"/account/set-password/{issued.secret}"
    assert links.find(db.session, issued.secret).id == row.id
    assert db.session.scalars(sa.select(AuditLog.action)).all()[-1] == "user.password_link"


def test_it_works_once(ola: User) -> None:
    issued = links.issue(db.session, user=ola, purpose="reset", actor=SYSTEM)
    user = links.redeem(db.session, secret=issued.secret, password=NEW_PASSWORD, actor=SYSTEM)
    db.session.commit()
    assert user.id == ola.id and user.password_hash
    with pytest.raises(NotFoundError):
        links.redeem(db.session, secret=issued.secret, password="another long passphrase here", actor=SYSTEM)


def test_it_expires_after_72_hours(ola: User, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = links.issue(db.session, user=ola, purpose="invite", actor=SYSTEM)
    db.session.commit()
    start = utcnow()
    monkeypatch.setattr(links, "utcnow", lambda: start + timedelta(hours=71, minutes=59))
    assert links.find(db.session, issued.secret) is not None
    monkeypatch.setattr(links, "utcnow", lambda: start + timedelta(hours=72, seconds=1))
    with pytest.raises(NotFoundError):
        links.find(db.session, issued.secret)
    with pytest.raises(NotFoundError):
        links.redeem(db.session, secret=issued.secret, password=NEW_PASSWORD, actor=SYSTEM)


def test_a_refused_password_keeps_the_link(ola: User) -> None:
    issued = links.issue(db.session, user=ola, purpose="invite", actor=SYSTEM)
    db.session.commit()
    with pytest.raises(WeakPasswordError):
        links.redeem(db.session, secret=issued.secret, password="password1234", actor=SYSTEM)
    db.session.rollback()
    assert links.find(db.session, issued.secret) is not None


def test_a_newer_link_and_deactivation_end_it(ola: User) -> None:
    first = links.issue(db.session, user=ola, purpose="reset", actor=SYSTEM)
    second = links.issue(db.session, user=ola, purpose="reset", actor=SYSTEM)
    with pytest.raises(NotFoundError):
        links.find(db.session, first.secret)
    assert links.find(db.session, second.secret)
    ola.active = False
    db.session.flush()
    with pytest.raises(NotFoundError):
        links.find(db.session, second.secret)
    with pytest.raises(ConflictError):
        links.issue(db.session, user=ola, purpose="reset", actor=SYSTEM)


@pytest.mark.parametrize("secret", ["", "x", "a" * 101, "../../etc/passwd"])
def test_nonsense_is_not_found(app: Flask, secret: str) -> None:
    with pytest.raises(NotFoundError):
        links.find(db.session, secret)


def test_end_links_counts(ola: User) -> None:
    links.issue(db.session, user=ola, purpose="reset", actor=SYSTEM)
    assert links.end_links(db.session, ola) == 1
    assert links.end_links(db.session, ola) == 0
    with pytest.raises(ValueError):
        links.issue(db.session, user=ola, purpose="other", actor=SYSTEM)
