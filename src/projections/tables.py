"""The read-model tables (SQLAlchemy 2 Core), all in one MetaData so one call creates them.

Read models are derived data: every row can be rebuilt from the event log, so a table
may be dropped and refilled at any time. ``read_model_positions`` records how far into
the log (notification id) each read model (and the Kafka relay) has read, under which
rule-set version, and for views kept by :mod:`projections.runner` the layout version of
the handlers that wrote the rows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine

metadata = MetaData()
# Tables of the views kept by projections.runner: created, dropped and rebuilt by it,
# never by create_all (a view's tables and its position change together).
views = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored as ISO 8601 text in UTC: sorts as text on every database, and
    reads back aware (SQLite has no time zones; a naive value would lose the instant)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("an instant without a time zone cannot be stored")
        return value.astimezone(UTC).isoformat()

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


def byte_ordered(length: int | None = None) -> TypeEngine[str]:
    """A string column that sorts by code point on every database, as Python's ``sorted``
    does: PostgreSQL's default collation does not (it ignores punctuation at first), and
    a view whose order decides something (the next round-robin rep, a brand's prefix
    range) must answer as the in-memory fold would."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


read_model_positions = Table(
    "read_model_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=True),
    Column("rule_set_version", String(32), nullable=True),
    Column("layout", Integer, nullable=True),
)

def open_read_models(url: str) -> Engine:
    """An engine on the read-model database, with the shared tables created if missing.

    Views kept by the runner create their own tables when it first opens them.
    """
    address = make_url(url)
    if address.get_backend_name() != "sqlite":
        engine = create_engine(url)
    elif address.database in (None, "", ":memory:"):
        # An in-memory database lives as long as its one connection: share it.
        engine = _transactional(
            create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        )
    else:
        engine = _transactional(create_engine(url))
    _create_tables(engine)
    _add_missing_columns(engine)
    return engine


_READS_ONLY = "crm_reads_only"


def reader(engine: Engine) -> Connection:
    """A connection for many small reads, each on its own (autocommit): a caller can hold
    it for a process's life - it never holds a snapshot open, so it neither sees stale
    rows nor keeps SQLite's write-ahead log from being checkpointed - and each query
    saves the pool check-out and the BEGIN/ROLLBACK a fresh connection costs."""
    if engine.dialect.name == "sqlite":
        return engine.connect().execution_options(**{_READS_ONLY: True})
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


class HeldReader:
    """One :func:`reader` connection, opened on first use and held until ``close`` (which
    also disposes of the engine when the holder was given its own): what a query object
    asking many small questions per command reads through."""

    def __init__(self, engine: Engine, *, dispose: bool) -> None:
        self._engine = engine
        self._dispose = dispose
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        held = self._connection
        if held is not None and held.invalidated:
            # Its database went away under it (a server restart): SQLAlchemy refuses
            # the connection until it is rolled back; a fresh one reconnects instead.
            held.close()
            held = None
        if held is None:
            held = self._connection = reader(self._engine)
        return held

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._dispose:
            self._engine.dispose()


def _transactional(engine: Engine) -> Engine:
    """SQLite with real transactions around DDL too (SQLAlchemy's pysqlite recipe): the
    driver otherwise commits before a CREATE or DROP, and a view's reset - drop, create,
    position back to the start - must be one unit."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # Views are derived data whose position commits with their rows: a power cut
        # may lose the last commits (both together, applied again on the next catch-up)
        # but never leaves them apart, so a view need not wait for an fsync per batch.
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=16384")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(_READS_ONLY, False):
            connection.exec_driver_sql("BEGIN")

    return engine


def _create_tables(engine: Engine, attempts: int = 8) -> None:
    """``create_all``, again after a pause if another process created a table between
    its look and its create, or held the lock (two commands starting at once on a new
    database; SQLite refuses at once, without waiting, a write after a stale read)."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * 2**attempt)


def _add_missing_columns(engine: Engine) -> None:
    """Adds columns later versions gave ``read_model_positions`` to a database made by an
    earlier one (create_all creates tables, it never alters them)."""
    present = {c["name"] for c in inspect(engine).get_columns(read_model_positions.name)}
    missing = [c for c in read_model_positions.columns if c.name not in present]
    with engine.begin() as connection:
        for column in missing:
            kind = column.type.compile(engine.dialect)
            connection.execute(
                text(f"ALTER TABLE {read_model_positions.name} ADD COLUMN {column.name} {kind}")
            )
