"""Weak and common passwords are refused with zxcvbn's reason, on every surface that sets one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.accounts import users as accounts
from gallery.accounts.passwords import WeakPasswordError, check_password, user_inputs, weak_password_reasons
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
        accounts.create_user(
            db.session, email="kowalska.anna@example.org", role="editor", password="kowalska.anna1", actor=SYSTEM
        )


def test_the_test_suite_password_is_strong_enough(app: Flask) -> None:
    user = accounts.create_user(db.session, email="ok@example.org", role="editor", password=PASSWORD, actor=SYSTEM)
    db.session.commit()
    assert accounts.authenticate(db.session, "ok@example.org", PASSWORD) is user


# --- the rule itself, without an account ---------------------------------------------------------------


def test_user_inputs_are_the_email_its_parts_and_the_name() -> None:
    assert user_inputs("anna.kowalska+gallery@example.org", "Anna Kowalska", None, "") == [
        "anna.kowalska+gallery@example.org",
        "anna.kowalska+gallery",
        "anna",
        "kowalska",
        "gallery",
        "Anna Kowalska",
        "Anna",
        "Kowalska",
    ]
    assert user_inputs("ed@example.org") == ["ed@example.org", "ed"]  # words of two letters tell nothing


def test_check_password_length_first_then_guessability() -> None:
    with pytest.raises(WeakPasswordError) as short:
        check_password("short")
    assert short.value.message == "the password must have at least 10 characters" and short.value.reasons == ()
    assert (short.value.field, short.value.code, short.value.status) == ("password", "weak_password", 422)
    with pytest.raises(WeakPasswordError) as common:
        check_password("password123")
    assert common.value.reasons and common.value.message.endswith(" ".join(common.value.reasons))
    check_password(PASSWORD)  # the suite's own password is strong enough


def test_the_persons_own_details_count_against_them() -> None:
    assert weak_password_reasons("kowalska.anna1") == ()
    reasons = weak_password_reasons("kowalska.anna1", user_inputs("kowalska.anna@example.org"))
    assert reasons and all(isinstance(r, str) and r for r in reasons)


def test_only_the_first_72_characters_are_scored() -> None:
    assert weak_password_reasons("x" * 72) == weak_password_reasons("x" * 10_000)  # no superlinear blow-up
    assert weak_password_reasons("correct horse battery staple " * 100) == ()
