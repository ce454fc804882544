"""Weak and common passwords are refused with zxcvbn's reason, on every surface that sets one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.accounts import users as accounts
from gallery.core.audit import SYSTEM
from gallery.core.errors import ValidationError
from gallery.extensions import db
from gallery.models import User
from tests.conftest import PASSWORD


def users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
        ("qwertyuiop", "This is a top-100 common password."),
        ("password123", "This is a very common password."),
        ("abc1234567", "This is similar to a commonly used password."),
        ("x" * 200, 'Repeats like "aaa" are easy to guess.'),  # longer than zxcvbn's 72 characters
    ],
)
def test_weak_passwords_are_refused_with_the_reason(app: Flask, password: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.create_user(db.session, email="w@example.org", role="editor", password=password, actor=SYSTEM)
    assert info.value.field == "password"
    assert "too easy to guess" in info.value.message and reason in info.value.message, info.value.message
    assert password not in info.value.message
    db.session.rollback()
    assert users() == 0


def test_the_email_counts_against_the_password(app: Flask) -> None:
    """The e-mail (and its parts) are user inputs for zxcvbn: a password made of them is weak."""
    # strong enough for somebody else ...
    accounts.create_user(db.session, email="x@example.org", role="editor", password="kowalska.anna1", actor=SYSTEM)
    # ... but not for the person whose e-mail it spells
    with pytest.raises(ValidationError, match="too easy to guess"):
        accounts.create_user(db.session, email="kowalska.anna@example.org", role="editor",
                             password="kowalska.anna1", actor=SYSTEM)


def test_the_test_suite_password_is_strong_enough(app: Flask) -> None:
    user = accounts.create_user(db.session, email="ok@example.org", role="editor", password=PASSWORD, actor=SYSTEM)
    db.session.commit()
    assert accounts.authenticate(db.session, "ok@example.org", PASSWORD) is user


