"""SQLite application recorder that also reads the events of many aggregates at once.

Registration checks one key index per identity key; reading them one query each costs
more than the batched save itself. This recorder serves them in one query per chunk of
ids, from the same ``stored_events`` table the repository reads, inside one read
transaction - so the answer is a consistent snapshot, as one ``get`` per id is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from adapters.persistence.data_keys import WritesDataKeys
from adapters.pii.key_table import KeyTable

_CHUNK = 500  # stays far below SQLite's limit on bound parameters


class BulkReadingSQLiteApplicationRecorder(WritesDataKeys, SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder plus :meth:`select_events_of_many`, and the data
    keys' table (``WritesDataKeys``)."""

    key_table = KeyTable(postgres=False)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.write_keys(c)
        return super()._insert_events(c, stored_events, **kwargs)

    def select_events_of_many(
        self, originator_ids: Sequence[UUID]
    ) -> dict[UUID, list[StoredEvent]]:
        """All stored events of each id, in version order; ids with none are absent."""
        found: dict[UUID, list[StoredEvent]] = defaultdict(list)
        unique = list(dict.fromkeys(originator_ids))
        with self.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                cursor.execute(
                    f"SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    f"ORDER BY originator_id, originator_version",
                    [i.hex for i in chunk],
                )
                for row in cursor.fetchall():
                    originator_id = UUID(row["originator_id"])
                    found[originator_id].append(
                        StoredEvent(
                            originator_id=originator_id,
                            originator_version=row["originator_version"],
                            topic=row["topic"],
                            state=row["state"],
                        )
                    )
        return dict(found)

    def count_notifications_after(self, position: int | None) -> int:
        """How many events were recorded after notification ``position`` (ids have gaps,
        so this is a count, not a subtraction): a follower's lag."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid > ?",
                [position or 0],
            )
            count: int = cursor.fetchone()[0]
        return count
