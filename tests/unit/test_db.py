"""Engine options, and SQLite's pragmas and transaction start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gallery.db import configure_sqlite, engine_options


def test_engine_options_per_database() -> None:
    assert engine_options("sqlite:////tmp/g.db") == {"connect_args": {"timeout": 30}}
    assert engine_options("postgresql+psycopg://db/gallery") == {"pool_pre_ping": True}


def _begins(engine: sa.engine.Engine) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen


def test_sqlite_gets_its_pragmas_and_begins_as_told(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    writing = False
    configure_sqlite(engine, begin_immediately=lambda: writing)
    configure_sqlite(engine, begin_immediately=lambda: True)  # a second app on the same engine: no change
    begins = _begins(engine)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    writing = True
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


def test_other_databases_are_left_alone() -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    configure_sqlite(engine, begin_immediately=lambda: True)
    assert not sa.event.contains(engine, "begin", lambda conn: None)
    from gallery.db import sqlite_pragmas

    assert not sa.event.contains(engine, "connect", sqlite_pragmas)


def test_postgresql_connections_do_without_jit(tmp_path: Path) -> None:
    import pytest

    from gallery.config import parse_database_url
    from gallery.db import configure_postgresql, postgresql_session
    from tests.conftest import PG_URL

    sqlite = sa.create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    configure_postgresql(sqlite)
    assert not sa.event.contains(sqlite, "connect", postgresql_session)
    if not PG_URL:
        pytest.skip("GALLERY_TEST_DATABASE_URL is not set")
    engine = sa.create_engine(parse_database_url(PG_URL))
    try:
        configure_postgresql(engine)
        configure_postgresql(engine)  # once is enough
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1  # the connection works as before
    finally:
        engine.dispose()
