"""Shared fixtures.

Database-backed tests run once on SQLite and, when ``GALLERY_TEST_DATABASE_URL``
is set (``make test`` sets it when PostgreSQL answers), once more on PostgreSQL.
Each xdist worker gets its own PostgreSQL schema; tables are emptied after
every test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_babel
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask, g
from flask.testing import FlaskClient

from gallery.accounts import users as accounts
from gallery.app import create_app
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Role, User

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
if not CORPUS.exists():  # CI clones beside a copy of shared/
    CORPUS = Path(os.environ.get("GALLERY_CORPUS", "/work/shared/corpus"))

PG_URL = os.environ.get("GALLERY_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """argon2id with the production cost takes ~0.3 s per hash or check; tests use the same
    algorithm with a tiny cost so that logging in dozens of times stays fast."""
    saved = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("dummy password")
    yield
    accounts._hasher, accounts._DUMMY_HASH = saved


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_schema_url(schema: str) -> str:
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """A private PostgreSQL schema for this worker, with the tables created once."""
    if not PG_URL:
        yield None
        return
    # The pid keeps concurrent runs on one server (two checkouts, two sessions) apart.
    schema = f"gallery_test_{os.getpid()}_" + re.sub(r"\W", "_", _worker())
    from gallery.config import parse_database_url

    engine = sa.create_engine(parse_database_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    yield schema
    engine = sa.create_engine(parse_database_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


_pg_tables_ready: set[str] = set()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gallery.db'}"
    schema = request.getfixturevalue("pg_schema")
    return _pg_schema_url(schema)


def make_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "GALLERY_ENV": "testing",
        "GALLERY_INSTANCE_PATH": str(tmp_path / "instance"),
        "GALLERY_DATABASE_URL": database_url,
        "GALLERY_STORAGE_URL": (tmp_path / "media").as_uri(),
        "GALLERY_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "GALLERY_CELERY_BROKER_URL": "",
        "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
        "GALLERY_LOG_LEVEL": "WARNING",
        "TESTING": True,
    }
    config.update(overrides)
    application = create_app(config)
    # Tests hold an app context open (for db.session), and Flask reuses it for every test
    # request, so ``g`` (Flask-Login's cached user, Flask-Babel's locale, ...) would leak from
    # one request into the next.  In production each request has its own app context; start
    # every test request with an empty ``g`` the same way.
    application.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return application


def _fresh_g() -> None:
    for name in list(vars(g)):
        delattr(g, name)
    # Flask-Babel caches the locale on the app context itself, not on g.
    flask_babel.refresh()


def _empty_tables() -> None:
    # DELETE, children first, rather than TRUNCATE: on tables this small TRUNCATE costs ~0.3 s
    # per test (it rewrites files and takes exclusive locks), DELETE a few milliseconds.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            # ids start at 1 again in every test, as with TRUNCATE ... RESTART IDENTITY
            conn.execute(
                sa.text(
                    "SELECT setval(format('%I.%I', sequence_schema, sequence_name), 1, false)"
                    " FROM information_schema.sequences WHERE sequence_schema = current_schema()"
                )
            )


@pytest.fixture
def app(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    overrides = getattr(request, "param", None) or {}
    marker = request.node.get_closest_marker("app_config")
    if marker:
        overrides = {**marker.kwargs, **overrides}
    application = make_app(tmp_path, database_url, **overrides)
    with application.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        else:
            key = database_url
            if key not in _pg_tables_ready:
                db.drop_all()
                db.create_all()
                _pg_tables_ready.add(key)
        try:
            yield application
        finally:
            db.session.remove()
            if not database_url.startswith("sqlite"):
                _empty_tables()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_user(role: Role | str, email: str | None = None, password: str = PASSWORD) -> User:
    role = Role(role)
    user = accounts.create_user(
        db.session, email=email or f"{role.value}@example.org", role=role, password=password, actor=SYSTEM
    )
    db.session.commit()
    return user


def make_token(user: User) -> str:
    issued = accounts.create_token(db.session, user=user, name="test", actor=SYSTEM)
    db.session.commit()
    return issued.secret


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    return {role.value: make_user(role) for role in Role}


@pytest.fixture
def tokens(users: dict[str, User]) -> dict[str, str]:
    return {name: make_token(user) for name, user in users.items()}


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form (with its CSRF token)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "app_config(**overrides): GALLERY_* overrides for the app fixture")


@pytest.fixture
def redis_db_url() -> Iterator[str]:
    """An empty Redis database of the test's own (``tests.archive.faults.private_redis_db``), emptied
    afterwards; the test is skipped when Redis is not running, except in CI."""
    import socket

    from tests.archive.faults import private_redis_db

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            pass
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with private_redis_db() as url:
        yield url
