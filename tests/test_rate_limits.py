"""Login rate limits behind a reverse proxy (X-Forwarded-For trusted only for
GALLERY_TRUSTED_PROXIES hops) and across gunicorn workers (one shared store, or a warning)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.config import ConfigError, load_settings
from gallery.extensions import db
from gallery.models import AuditLog, Role
from tests.conftest import PASSWORD, csrf_from, make_user

PROXY = "10.0.0.1"  # the reverse proxy, the only peer Gallery sees
PER_ADDRESS = 10  # "10 per minute" per address on POST /login


def login_attempt(client: FlaskClient, email: str, forwarded_for: str | None, password: str = "wrong password") -> int:
    """One login POST arriving through the proxy; returns the status."""
    token = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": PROXY}).get_data(as_text=True))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": PROXY}, headers=headers)
    return response.status_code


def test_without_trusted_proxies_forwarded_for_is_ignored(client: FlaskClient) -> None:
    """With 0 trusted hops (the default) the limit keys on the peer: a made-up
    X-Forwarded-For on every attempt does not buy more attempts."""
    statuses = [login_attempt(client, f"u{i}@example.org", f"203.0.113.{i}") for i in range(PER_ADDRESS + 1)]
    assert statuses == [401] * PER_ADDRESS + [429]


@pytest.mark.app_config(GALLERY_TRUSTED_PROXIES="1")
def test_one_trusted_proxy_keys_on_the_client_it_saw(client: FlaskClient) -> None:
    client_a, client_b = "203.0.113.7", "203.0.113.8"
    statuses = [login_attempt(client, f"a{i}@example.org", client_a) for i in range(PER_ADDRESS + 1)]
    assert statuses == [401] * PER_ADDRESS + [429]
    # another client behind the same proxy is not limited by A's attempts
    assert login_attempt(client, "b@example.org", client_b) == 401
    # A cannot escape by putting made-up hops in front: the proxy appends what it saw, and
    # only that last entry is trusted
    for i in range(3):
        assert login_attempt(client, f"a-spoof{i}@example.org", f"198.51.100.{i}, {client_a}") == 429


@pytest.mark.app_config(GALLERY_TRUSTED_PROXIES="1")
def test_the_audit_log_records_the_client_address(app: Flask, client: FlaskClient) -> None:
    user = make_user(Role.editor, "ip@example.org")
    assert login_attempt(client, user.email, "192.0.2.1, 203.0.113.9", password=PASSWORD) == 302
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.login"))
    assert entry is not None and entry.ip == "203.0.113.9"


@pytest.mark.parametrize("value", ["-1", "many", "11"])
def test_bad_trusted_proxies_values_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="GALLERY_TRUSTED_PROXIES"):
        load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_TRUSTED_PROXIES": value})
