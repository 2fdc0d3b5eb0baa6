"""The data keys' table, beside the events in the same database, on SQLite and PostgreSQL.

One row per subject (a customer, a lead, an index): the data key wrapped by a master
key and that master's id; an erased subject keeps its row with both set to NULL and
the time of erasure, so nothing can give it a new key and readers tell "erased" from
"never had personal data". Rows are written in the transaction of the events that
first use them (``attach``), so an event is never stored without its key.

The statements are plain SQL run on the recorder's own cursors: both drivers take a
list of parameters, and only the placeholder and the binary type differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

TABLE = "crm_data_keys"
_CHUNK = 500


@dataclass(frozen=True)
class KeyRow:
    subject: UUID
    master_key_id: str | None
    wrapped: bytes | None  # None: erased

    @property
    def erased(self) -> bool:
        return self.wrapped is None


class KeyTable:
    """SQL for one dialect; every method takes the cursor of the caller's transaction."""

    def __init__(self, postgres: bool) -> None:
        self._p = "%s" if postgres else "?"
        self.postgres = postgres
        blob = "BYTEA" if postgres else "BLOB"
        self.create_statement = (
            f"CREATE TABLE IF NOT EXISTS {TABLE} (subject_id TEXT PRIMARY KEY, "
            f"master_key_id TEXT, wrapped {blob}, erased_at TEXT)"
        )

    def create(self, cursor: Any) -> None:
        cursor.execute(self.create_statement)

    def select(self, cursor: Any, subjects: Sequence[UUID]) -> dict[UUID, KeyRow]:
        found: dict[UUID, KeyRow] = {}
        # The ids asked for, by their stored text: a row's subject is looked up, not
        # parsed again (a check reads dozens of keys; UUID() costs more than the read).
        by_hex = {subject.hex: subject for subject in subjects}
        unique = list(by_hex)
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            params: list[Any]
            if self.postgres:
                where, params = "subject_id = ANY(%s)", [chunk]
            else:
                where, params = f"subject_id IN ({','.join('?' * len(chunk))})", list(chunk)
            cursor.execute(
                f"SELECT subject_id, master_key_id, wrapped FROM {TABLE} WHERE {where}", params
            )
            for row in cursor.fetchall():
                subject = by_hex[row["subject_id"]]
                found[subject] = _row(row, subject)
        return found

    def insert(self, cursor: Any, rows: Iterable[KeyRow]) -> None:
        """New keys; a subject that has one already fails the transaction (IntegrityError),
        so two writers can never seal one subject's values with different keys."""
        p = self._p
        params = [(r.subject.hex, r.master_key_id, r.wrapped) for r in rows]
        if params:
            cursor.executemany(
                f"INSERT INTO {TABLE} (subject_id, master_key_id, wrapped) VALUES ({p}, {p}, {p})",
                params,
            )

    def erase(self, cursor: Any, subjects: Iterable[UUID], at: str) -> None:
        p = self._p
        cursor.executemany(
            f"INSERT INTO {TABLE} (subject_id, master_key_id, wrapped, erased_at) "
            f"VALUES ({p}, NULL, NULL, {p}) ON CONFLICT (subject_id) DO UPDATE SET "
            f"master_key_id = NULL, wrapped = NULL, "
            f"erased_at = COALESCE({TABLE}.erased_at, excluded.erased_at)",
            [(s.hex, at) for s in subjects],
        )

    def live(self, cursor: Any) -> list[KeyRow]:
        """Every key not erased (rotation rewraps them all)."""
        cursor.execute(
            f"SELECT subject_id, master_key_id, wrapped FROM {TABLE} WHERE wrapped IS NOT NULL"
        )
        return [_row(row) for row in cursor.fetchall()]

    def rewrap(self, cursor: Any, rows: Iterable[KeyRow]) -> None:
        p = self._p
        cursor.executemany(
            f"UPDATE {TABLE} SET master_key_id = {p}, wrapped = {p} "
            f"WHERE subject_id = {p} AND wrapped IS NOT NULL",
            [(r.master_key_id, r.wrapped, r.subject.hex) for r in rows],
        )

    def by_master(self, cursor: Any) -> dict[str | None, int]:
        """How many keys each master key wraps (None: erased subjects)."""
        cursor.execute(
            f"SELECT master_key_id AS m, COUNT(*) AS n FROM {TABLE} GROUP BY master_key_id"
        )
        return {row["m"]: int(row["n"]) for row in cursor.fetchall()}

    def any_row(self, cursor: Any) -> bool:
        """Whether the book has ever had a key (cheap whatever the table's size)."""
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        return cursor.fetchone() is not None


def _row(row: Any, subject: UUID | None = None) -> KeyRow:
    wrapped = row["wrapped"]
    return KeyRow(
        subject or UUID(row["subject_id"]),
        row["master_key_id"],
        bytes(wrapped) if wrapped else None,
    )
