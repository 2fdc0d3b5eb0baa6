"""eventsourcing's PostgreSQL application recorder, with its tables created one process
at a time, and the two reads crmcore adds to SQLite's (``sqlite_recorder``): the events
of many aggregates in one query (a registration's key indexes), and a follower's lag.

Several app servers (or the race tests' eight workers) starting at once on a new
database all run ``CREATE TYPE`` / ``CREATE TABLE IF NOT EXISTS`` / ``CREATE FUNCTION``;
PostgreSQL's catalogue does not serialise those, and the losers fail with "tuple
concurrently updated" or a duplicate ``pg_type`` row. A session advisory lock taken on
a connection of its own around the creation makes the first process create and the
others find everything there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import ConnectionPool, PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from adapters.persistence.data_keys import WritesDataKeys
from adapters.pii.key_table import KeyTable

# An arbitrary constant naming "crmcore's schema creation" among advisory locks.
SCHEMA_LOCK = 0x63726D5F736368  # "crm_sch"


class SerialisedPostgresApplicationRecorder(WritesDataKeys, PostgresApplicationRecorder):
    """Creates its tables (and the data keys', ``WritesDataKeys``) under ``SCHEMA_LOCK``;
    records exactly as its base does."""

    key_table = KeyTable(postgres=True)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self.write_keys(curs)
        super()._insert_events(curs, stored_events, **kwargs)

    def create_table(self) -> None:
        with self.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
                connection.commit()

    def select_events_of_many(
        self, originator_ids: Sequence[UUID]
    ) -> dict[UUID, list[StoredEvent]]:
        """All stored events of each id, in version order; ids with none are absent."""
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        found: dict[UUID, list[StoredEvent]] = defaultdict(list)
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, [list(dict.fromkeys(originator_ids))], prepare=True)
            for row in cursor.fetchall():
                found[row["originator_id"]].append(
                    StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                )
        return dict(found)

    def count_notifications_after(self, position: int | None) -> int:
        """How many events were recorded after notification ``position`` (ids have gaps,
        so this is a count, not a subtraction): a follower's lag."""
        statement = SQL(
            "SELECT COUNT(*) AS n FROM {schema}.{table} WHERE notification_id > %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, [position or 0])
            row = cursor.fetchone()
            return int(row["n"]) if row else 0

    def server_refusal(self, timeout: int = 2) -> str | None:
        """Why the server does not take a new connection now (naming it), or None when it
        does. Asked outside the pool, whose reconnection backs off exponentially while
        a server is away (after a 140 s outage it had not reconnected 50 s after the
        server was back), and without eventsourcing's retries (ten, each waiting for
        the pool)."""
        settings = {k: v for k, v in (self.datastore.pool.kwargs or {}).items()
                    if k in ("dbname", "host", "port", "user", "password")}
        try:
            psycopg.connect(**settings, connect_timeout=max(1, timeout)).close()
        except psycopg.Error as error:
            return " ".join(str(error).split()) or type(error).__name__
        return None

    def reconnect(self) -> None:
        """A fresh connection pool in place of the one whose connections the server
        dropped (and whose reconnection may be backing off): the next command connects
        at once. Built from the pool's own settings and the datastore's, as eventsourcing
        built the first."""
        datastore = self.datastore
        old = datastore.pool
        datastore.pool = ConnectionPool(
            connection_class=old.connection_class,
            kwargs=old.kwargs,
            min_size=old.min_size,
            max_size=old.max_size,
            open=False,
            configure=datastore.after_connect_func(),
            timeout=old.timeout,
            max_waiting=old.max_waiting,
            max_lifetime=old.max_lifetime,
            check=ConnectionPool.check_connection if datastore.pre_ping else None,
            get_password_func=old.get_password_func,
        )
        old.close(timeout=0)
