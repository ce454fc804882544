"""Login rate limits behind a reverse proxy (X-Forwarded-For trusted only for
GALLERY_TRUSTED_PROXIES hops) and across gunicorn workers (one shared store, or a warning)."""

from __future__ import annotations

import contextlib
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.config import ConfigError, load_settings
from gallery.extensions import db
from gallery.models import AuditLog, Role
from tests.archive.faults import Child, child_env
from tests.conftest import PASSWORD, csrf_from, make_app, make_user

PROXY = "10.0.0.1"  # the reverse proxy, the only peer Gallery sees
PER_ADDRESS = 10  # "10 per minute" per address on POST /login


def login_attempt(client: FlaskClient, email: str, forwarded_for: str | None, password: str = "wrong password") -> int:
    """One login POST arriving through the proxy; returns the status."""
    token = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": PROXY}).get_data(as_text=True))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": PROXY},
        headers=headers,
    )
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


# --- several gunicorn workers ------------------------------------------------------------------------

UNSHARED = "login rate limits are counted in each of the 2 gunicorn workers separately"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn_with_two_workers(tmp_path: Path, storage_url: str) -> Iterator[tuple[Child, str]]:
    """gunicorn -w 2 with Gallery's server hook (``-c python:gallery.http.ratelimit``, which
    gunicorn.conf.py imports too), sync workers and an access log that names the worker's pid,
    on a free loopback port; answers once both workers boot."""
    database = f"sqlite:///{tmp_path / 'workers.db'}"
    app = make_app(tmp_path, database)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    env = child_env(
        GALLERY_ENV="development",
        GALLERY_INSTANCE_PATH=str(tmp_path / "instance"),
        GALLERY_DATABASE_URL=database,
        GALLERY_STORAGE_URL=(tmp_path / "media").as_uri(),
        GALLERY_SECRET_KEY="workers-secret-" + "w" * 32,
        GALLERY_RATELIMIT_STORAGE_URL=storage_url,
        GALLERY_LOG_LEVEL="WARNING",
    )
    port = _free_port()
    child = Child(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:gallery.http.ratelimit",
            "-w",
            "2",
            "--worker-class",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--access-logformat",
            "access pid=%(p)s %(m)s %(U)s %(s)s",
            "wsgi:app",
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while sum("Booting worker" in line for line in child.lines) < 2 or not _answers(f"{base}/healthz"):
            assert child.proc.poll() is None and time.monotonic() < deadline, child.output
            time.sleep(0.2)
        yield child, base
    finally:
        child.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2, headers={"Connection": "close"}).status_code == 200
    except requests.RequestException:
        return False


def _failed_logins(base: str, email: str, count: int) -> list[int]:
    """``count`` wrong-password logins for one e-mail, each on a new connection (so the two
    workers share them), with the CSRF token of one browser session."""
    browser = requests.Session()
    browser.headers["Connection"] = "close"
    token = csrf_from(browser.get(f"{base}/login", timeout=10).text)
    statuses = []
    for _ in range(count):
        response = browser.post(
            f"{base}/login",
            data={"email": email, "password": "wrong password", "csrf_token": token},
            timeout=10,
            allow_redirects=False,
        )
        statuses.append(response.status_code)
    return statuses


def _login_pids(child: Child) -> set[str]:
    return {
        line.split("pid=", 1)[1].split()[0] for line in child.lines if "access pid=" in line and " POST /login " in line
    }


def test_workers_without_a_shared_store_warn_at_start(tmp_path: Path) -> None:
    with gunicorn_with_two_workers(tmp_path, "memory://") as (child, _base):
        # logged by the arbiter when it is ready, before any request
        assert child.wait_for(UNSHARED, timeout=10), child.output
        assert sum(UNSHARED in line for line in child.lines) == 1
        assert "GALLERY_RATELIMIT_STORAGE_URL" in next(line for line in child.lines if UNSHARED in line)


def _occupy_one_worker(base: str) -> socket.socket:
    """A connection that sent half a request: a sync worker reads it and serves nobody else
    until the rest arrives, so the next connections go to the other worker."""
    host, port = base.removeprefix("http://").split(":")
    blocker = socket.create_connection((host, int(port)), timeout=10)
    blocker.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.3)  # let a worker accept it
    return blocker


def _release(blocker: socket.socket) -> None:
    blocker.sendall(b"Connection: close\r\n\r\n")
    blocker.recv(4096)
    blocker.close()


def test_with_redis_the_limit_holds_across_two_workers(tmp_path: Path, redis_db_url: str) -> None:
    """The kernel may hand every connection to one worker, so the test steers them: while one
    worker is held by a half-sent request, the attempts go to the other; it re-rolls which
    worker is held until both have answered attempts (each re-roll is a coin toss)."""
    email = f"workers-{uuid.uuid4().hex[:12]}@example.org"
    with gunicorn_with_two_workers(tmp_path, redis_db_url) as (child, base):
        statuses: list[int] = []
        for _round in range(20):
            blocker = _occupy_one_worker(base)
            try:
                statuses += _failed_logins(base, email, 2)
            finally:
                _release(blocker)
            if len(_login_pids(child)) == 2 and len(statuses) >= 10:
                break
        assert len(_login_pids(child)) == 2, "the attempts did not reach both workers:\n" + child.output
        assert statuses == [401] * 5 + [429] * (len(statuses) - 5), statuses
        assert UNSHARED not in child.output
