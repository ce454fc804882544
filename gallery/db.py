"""Database engine settings: the engine options per database, and SQLite's pragmas and transaction
start.  No Flask request here: whether a transaction should take SQLite's write lock up front is
asked of the ``begin_immediately`` function the app factory passes in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def engine_options(database_url: str) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for ``database_url``: SQLite waits up to 30 s for a lock;
    other databases check a pooled connection before using it."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """On each new SQLite connection: let SQLAlchemy, not pysqlite, decide where transactions begin
    (needed for SAVEPOINTs), and make SQLite enforce foreign keys and wait for locks."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_sqlite(engine: Engine, *, begin_immediately: Callable[[], bool]) -> None:
    """Install the pragmas and the transaction start on a SQLite engine (other engines, and an
    engine already configured, are left alone).

    SQLite cannot upgrade a read snapshot to a write once another connection has committed
    ("database is locked", without waiting).  Transactions for which ``begin_immediately()`` is
    true (requests that may write) take the write lock up front, waiting up to busy_timeout; the
    others (reads, CLI commands, tasks) start deferred and keep their writes write-first."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", sqlite_pragmas):
        return

    def begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if begin_immediately() else "BEGIN")

    event.listen(engine, "connect", sqlite_pragmas)
    event.listen(engine, "begin", begin)


def postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    """On each new PostgreSQL connection: no JIT compilation.  Gallery's statements are short (an
    indexed page, a few counts), but the planner's cost estimate of the correlated subqueries
    that pick album covers exceeds ``jit_above_cost`` -- and compiling them then took 60-80 ms of
    a statement that runs in 5 ms (the home page at a million photos, ``bench/scale.py``).
    The session setting leaves the server's default to every other client."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def configure_postgresql(engine: Engine) -> None:
    """Install :func:`postgresql_session` on a PostgreSQL engine (others, and an engine already
    configured, are left alone)."""
    if engine.dialect.name != "postgresql" or event.contains(engine, "connect", postgresql_session):
        return
    event.listen(engine, "connect", postgresql_session)
