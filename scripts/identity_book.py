"""Filing a generated book straight into the identity view, for the benchmarks.

The benchmarks of the identity check and of the duplicate scan need books of 100k and
1M customers; registering them through the command path would take hours. This files
each record's profile the way catch-up files a registration (through the view's own
:class:`~projections.identity_index.SqlIndexStore`), with no events behind it: what the
check and the scan read is the identity view, so it is what they are measured on.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Engine

from adapters.settings import Settings
from crmcore import CrmApplication
from crmcore.config import IdentityConfig
from crmcore.identity.candidates import CandidateSource, IndexEntry
from crmcore.identity.check import IdentityChecker
from crmcore.identity.memory_index import MemoryIndex
from projections.identity_index import IDENTITY_VIEW, SqlIndexStore
from projections.identity_queries import SqlCandidateSource
from projections.personal import PersonalSeal
from projections.projection import ViewWriter
from projections.tables import open_read_models

_FILING_BATCH = 5_000  # entries per transaction, as the runner's batch


class IndexFiler:
    """Files entries into the chosen index: the memory index, or the view's tables
    (``views.db`` in ``folder``; ``events.db`` for a sealed book) through the store its
    handlers write with, a transaction per batch."""

    def __init__(
        self, kind: str, folder: Path, config: IdentityConfig, *, pii: bool = False
    ) -> None:
        """``pii``: as a book with a master key keeps it - each profile's personal half
        sealed under its customer's data key (kept in ``events.db``, the view's database),
        blocks hashed with the book's key."""
        self.kind = kind
        self.source: CandidateSource
        self._pending: list[IndexEntry] = []
        self._number = 0
        if kind == "memory":
            self._memory = MemoryIndex(config.max_block_size, config.group_brand_chars)
            self.source = self._memory
            return
        # A sealed book's view lives beside its events and data keys (events.db), as
        # the CLI keeps it by default: a candidate's key is read with the candidate.
        self.url = f"sqlite:///{folder / ('events.db' if pii else 'views.db')}"
        self.engine = open_read_models(self.url)
        for table in IDENTITY_VIEW.tables:
            table.create(self.engine)
        # The source's runner is never asked to catch up here: the entries are filed
        # directly, so an empty log stands in for the application (a SQLite one holding
        # the data keys when the book protects personal data).
        if pii:
            key = base64.b64encode(os.urandom(32)).decode()
            settings = Settings(db=folder / "events.db", pii={"master_key": key})
            self._vault = settings.pii.vault()
            log = CrmApplication(settings.eventsourcing_env(), protection=self._vault)
        else:
            self._vault = None
            log = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self._log = log
        self.personal = PersonalSeal.of(log)
        self.source = SqlCandidateSource(
            log, self.engine, config.max_block_size, dispose=True, keys_beside=pii
        )

    def file(self, entry: IndexEntry) -> None:
        if self.kind == "memory":
            self._memory.put(entry, new=True)
            return
        self._pending.append(entry)
        if len(self._pending) >= _FILING_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        if self._vault is not None:
            self._new_keys({entry.customer_id for entry in self._pending})
        with self.engine.begin() as connection:
            writer = ViewWriter(connection, self.personal)
            store = SqlIndexStore(writer)
            for entry in self._pending:
                self._number += 1
                writer.notification_id = self._number
                store.put(entry, new=True)
            writer.flush()
        self._pending = []


    def _new_keys(self, subjects: set[UUID]) -> None:
        """A data key for each new customer, written in one transaction (as a
        registration's key is written with its events)."""
        vault = self._vault
        assert vault is not None
        for subject in subjects:
            vault.sealer(subject, new=True)
        recorder: Any = self._log.recorder
        with recorder.datastore.transaction(commit=True) as cursor:
            vault.write(cursor)
        vault.settle(True)


class FiledOnly(SqlCandidateSource):
    """The view of a book filed by :class:`IndexFiler`: there is no log behind it, so
    catching up would find the view ahead of an empty log and empty it."""

    def catch_up(self) -> int:
        return 0


def filed_checker(engine: Engine, config: IdentityConfig) -> IdentityChecker:
    """An identity checker over a filed book's view (not disposing of ``engine``)."""
    log = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return IdentityChecker(config, FiledOnly(log, engine, config.max_block_size, dispose=False))
