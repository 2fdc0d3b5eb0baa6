"""What both recorders add so that a new data key commits with the events it seals.

The mapper seals an event's personal values before the recorder runs; a key it had
to create for that is handed to the recorder's ``key_writer`` and inserted in the very
transaction that inserts the events. Either both are stored or neither: no event
whose key was lost, no key for an event never stored. The writer then learns how the
transaction ended (``settle``), so a key that lost a race is forgotten and the next
attempt reads the winner's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import StoredEvent

from adapters.pii.key_table import KeyTable
from crmcore.errors import ValidationFailed


class KeyWriter(Protocol):
    def write(self, cursor: Any) -> None:
        """Inserts the keys created since the last transaction, on ``cursor``."""

    def settle(self, committed: bool) -> None:
        """The transaction that ``write`` joined committed, or did not."""


class WritesDataKeys:
    """Mixin for an eventsourcing application recorder (put it first in the bases)."""

    key_table: KeyTable
    key_writer: KeyWriter | None = None
    datastore: Any

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        with self.datastore.transaction(commit=True) as cursor:
            self.key_table.create(cursor)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        writer = self.key_writer
        if writer is None:
            return super().insert_events(stored_events, **kwargs)  # type: ignore[misc,no-any-return]
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        except BaseException:
            writer.settle(committed=False)
            raise
        writer.settle(committed=True)
        return ids

    def refuse_unprotected(self) -> None:
        """Refuses to serve an application without the master key when the book's
        personal data is sealed: its events would read as ciphertext and its key indexes
        would not be found. One row read, whatever the table's size."""
        with self.datastore.transaction(commit=False) as cursor:
            protected = self.key_table.any_row(cursor)
        if protected:
            raise ValidationFailed(
                "pii.master_key",
                "this book's personal data is encrypted: set pii.master_key "
                "(or CRM_PII__MASTER_KEY, or pii.master_key_file) to open it",
            )

    def write_keys(self, cursor: Any) -> None:
        """Called by the recorder inside its insert transaction, before the events."""
        if self.key_writer is not None:
            self.key_writer.write(cursor)
