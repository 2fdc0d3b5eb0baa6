"""eventsourcing's PostgreSQL application recorder, with its tables created one process
at a time.

Several app servers (or the race tests' eight workers) starting at once on a new
database all run ``CREATE TYPE`` / ``CREATE TABLE IF NOT EXISTS`` / ``CREATE FUNCTION``;
PostgreSQL's catalogue does not serialise those, and the losers fail with "tuple
concurrently updated" or a duplicate ``pg_type`` row. A session advisory lock taken on
a connection of its own around the creation makes the first process create and the
others find everything there.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder

# An arbitrary constant naming "crmcore's schema creation" among advisory locks.
SCHEMA_LOCK = 0x63726D5F736368  # "crm_sch"


class SerialisedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Creates its tables under ``SCHEMA_LOCK``; records exactly as its base does."""

    def create_table(self) -> None:
        with self.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
                connection.commit()
