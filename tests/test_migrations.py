"""The schema is owned by Alembic: upgrade from empty, downgrade to base, upgrade again,
on SQLite and on PostgreSQL; and the migrated schema is exactly what the models say."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from gallery.config import parse_database_url
from gallery.extensions import db
from gallery.search import models as search_models
from tests.conftest import PG_URL, make_app

MIGRATIONS = Path(__file__).resolve().parents[1] / "gallery" / "migrations"


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """alembic's env.py calls logging.config.fileConfig(), which disables every logger that
    exists and replaces the root handlers; undo that so later tests in this process still log."""
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (lg.disabled, lg.level, lg.handlers[:], lg.propagate)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, lg in logging.Logger.manager.loggerDict.items():
        if not isinstance(lg, logging.Logger):
            continue
        if name in saved:
            lg.disabled, lg.level, lg.handlers[:], lg.propagate = saved[name]
        else:
            lg.disabled = False


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    if not PG_URL:
        pytest.skip("GALLERY_TEST_DATABASE_URL is not set")
    schema = "gallery_mig_" + re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    engine = sa.create_engine(parse_database_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def migrated_app(tmp_path: Path, empty_database: str) -> Iterator[Flask]:
    app = make_app(tmp_path, empty_database)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def table_names() -> set[str]:
    """The tables of the database, but the search index's own (FTS5 and its shadow tables on
    SQLite), which the models leave out on purpose (``gallery.search.models.DATABASE_OBJECTS``)."""
    return set(sa.inspect(db.engine).get_table_names()) - search_models.DATABASE_OBJECTS


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def model_tables() -> set[str]:
    return {t.name for t in db.metadata.sorted_tables}


def test_migrations_have_a_single_head() -> None:
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_upgrade_downgrade_upgrade(migrated_app: Flask) -> None:
    assert table_names() == set()

    flask_migrate.upgrade()
    assert current_revision() == head_revision()
    assert table_names() == model_tables() | {"alembic_version"}

    # The schema works: rows go in, constraints hold.
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (slug, title, starts_on, ends_on, timezone, location, description,"
                " created_at, updated_at) VALUES ('e', 'E', '2024-05-07', '2024-05-08', 'Europe/Brussels', '', '',"
                " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            )
        )
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (slug, title, starts_on, ends_on, timezone, location, description,"
                " created_at, updated_at) VALUES ('e', 'Again', '2024-05-07', '2024-05-08', 'UTC', '', '',"
                " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            )
        )

    flask_migrate.downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    assert current_revision() is None

    flask_migrate.upgrade()
    assert current_revision() == head_revision()
    assert table_names() == model_tables() | {"alembic_version"}
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == 0


def test_migrated_schema_matches_the_models(migrated_app: Flask) -> None:
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_object": search_models.include_object,
            },
        )
        diffs = compare_metadata(context, db.metadata)
    assert diffs == [], "the models and the migrations disagree; add a migration:\n" + "\n".join(map(str, diffs))


def test_upgrading_a_database_with_photos_keeps_every_row(migrated_app: Flask) -> None:
    """A migration that copies `photos` (SQLite's batch mode) must not take the rows that refer to it
    along: with foreign keys on, SQLite's DROP TABLE deletes them first (ON DELETE CASCADE)."""
    from tests.consent.test_migration_0006 import OTHER, SHA, put
    from tests.consent.test_migration_0006 import seed as seed_0005

    flask_migrate.upgrade(revision="0004")
    with db.engine.begin() as conn:
        seed_0005(conn)  # two albums, three photos, six derivative rows
    for sha in (SHA, OTHER):  # their objects exist (0006 moves them to versioned keys)
        put(migrated_app, f"derivatives/{sha}/400.jpg", b"jpg")
        put(migrated_app, f"derivatives/{sha}/400.webp", b"web")
    counts = "SELECT (SELECT count(*) FROM photos), (SELECT count(*) FROM derivatives), (SELECT count(*) FROM albums)"
    with db.engine.connect() as conn:
        before = tuple(conn.execute(sa.text(counts)).one())
    assert before == (3, 6, 2)

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        assert tuple(conn.execute(sa.text(counts)).one()) == before
        assert conn.execute(sa.text("SELECT count(*) FROM photos WHERE sha256 = :s"), {"s": SHA}).scalar_one() == 2
        if conn.dialect.name == "sqlite":  # and the foreign keys are on again for the app
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
