"""What a read model is: its tables, one handler per event type it reads, a layout version.

A projection is data, not a class hierarchy: the runner (:mod:`projections.runner`)
feeds it the events of its types in log order, inside the transaction that also moves
its position, so a view never applies an event twice or skips one. Handlers write
through a :class:`ViewWriter`, which batches inserts per table into one statement
(a catch-up of a million registrations is mostly inserts) and runs them before any
other statement or read, so a handler always sees what earlier ones wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import BindParameter, Insert, Table, bindparam
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import Executable

from projections.personal import PLAIN, PersonalSeal

Handler = Callable[["ViewWriter", Any], None]
"""Applies one domain event to the view's tables."""


@dataclass(frozen=True)
class Projection:
    """A read model the runner keeps current.

    ``layout`` is the version of the tables and handlers: bump it whenever either
    changes what a row holds, and the runner rebuilds the view from the log the next
    time it opens it, instead of serving rows an older handler wrote.
    """

    name: str
    layout: int
    tables: tuple[Table, ...]
    handlers: Mapping[type[Any], Handler]
    topics: dict[str, Handler] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Stored topic -> handler, so the runner dispatches without decoding events
        # no handler reads.
        object.__setattr__(self, "topics", {get_topic(c): h for c, h in self.handlers.items()})


def new_value(table: Table, column: str) -> BindParameter[Any]:
    """The bind parameter of a statement built once that sets ``table.c[column]``,
    typed as the column and named ``new_`` + the column (SQLAlchemy reserves the
    column's own name in a SET clause)."""
    return bindparam(f"new_{column}", type_=table.c[column].type)


@cache
def _insert_into(table: Table) -> Insert:
    """One INSERT per table, built once: building it (and its cache key) for every
    flush cost more than a small flush itself."""
    return table.insert()


class ViewWriter:
    """The connection handlers write through, with inserts batched per table.

    Queued inserts into different tables may reach the database in another order than
    they were queued (per table, the order is kept): views have no foreign keys or
    triggers, so only a read or another statement must see them, and both flush first.
    """

    def __init__(self, connection: Connection, personal: PersonalSeal = PLAIN) -> None:
        self.connection = connection
        # How personal values are kept (sealed under their subject's key when the store
        # protects personal data): a handler writing one goes through it.
        self.personal = personal
        self._queued: dict[Table, list[dict[str, Any]]] = {}
        # The notification id of the event being applied (set by the runner): unique
        # and in log order, so a view can number rows by it, identically on a rebuild.
        self.notification_id = 0
        # Scratch space for handlers, alive for this one transaction (e.g. the next
        # number a view hands out, read once per batch instead of once per event).
        self.memo: dict[str, Any] = {}

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """Queues a row; the rows of one table go in one executemany."""
        self._queued.setdefault(table, []).append(row)

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> None:
        """Runs a statement after every row queued before it.

        Handlers applied per event pass a statement built once, with bind parameters:
        building one per event (and its cache key) cost most of a catch-up.
        """
        self.flush()
        self.connection.execute(statement, params)

    def scalar(self, query: Executable, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row of a query, seeing every row queued."""
        self.flush()
        return self.connection.execute(query, params).scalar()

    def fetch(self, query: Executable) -> list[Row[Any]]:
        """Every row of a query, seeing every row queued."""
        self.flush()
        return list(self.connection.execute(query))

    def flush(self) -> None:
        queued, self._queued = self._queued, {}
        for table, rows in queued.items():
            self.connection.execute(_insert_into(table), rows)
