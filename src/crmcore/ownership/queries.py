"""The questions ownership commands ask of the sales organisation and the book.

Assignment needs the reps (profile, active, open customers) and who had the last
round-robin turn; the sweeper needs the ownerships due before an instant and a rep's
supervisor; a handover needs a rep's customers, most important first; the pool is a
list. :class:`SalesQueries` is that interface. Commands use its answers to *find*
work, then load and re-check the aggregates they change: an aggregate saved from a
stale answer fails its version check and is decided again, so an answer that lags
another process costs a retry, never a second owner.

Two implementations: :class:`FoldedSales` folds the log into memory (the default of a
bare :class:`~crmcore.application.CrmApplication`, which suits the in-memory store and
tests), and ``projections.sales_queries.SqlSalesQueries`` asks the persisted ownership
and sales-organisation views, so a command's cost does not grow with the book.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Recording

from crmcore.ownership.folded_view import PoolEntry, SalesView
from crmcore.ownership.policies.assignment import RepSnapshot


class SalesQueries(Protocol):
    """Narrow questions about reps and ownerships, answered as of the last catch-up."""

    def catch_up(self) -> int:
        """Brings the answers up to the head of the log; returns events applied."""
        ...

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Applies events this process has just saved, if it can without reading them
        back (they follow its position with nothing between); else catch-up will."""
        ...

    def rep_snapshots(self) -> list[RepSnapshot]:
        """Every rep that ever joined, by rep id (assignment's candidates)."""
        ...

    def last_round_robin(self) -> str | None:
        """The rep the last round-robin assignment went to, if any."""
        ...

    def supervisor_of(self, rep_id: str) -> str | None:
        """The first active supervisor (by id) of the rep's team, other than the rep."""
        ...

    def due_by(self, now: datetime) -> list[UUID]:
        """Owned customers with a deadline at or before ``now``, earliest first."""
        ...

    def stale_by(self, before: datetime) -> list[UUID]:
        """Open opportunities not updated since ``before`` and not yet alerted for it,
        stalest first (then by id)."""
        ...

    def customers_of(self, rep_id: str) -> list[UUID]:
        """The rep's customers: most open opportunities first, then the most recent
        activity, then by id (the order a handover works through them)."""
        ...

    def pool_entries(self, limit: int | None = None, offset: int = 0) -> list[PoolEntry]:
        """The pool, longest waiting first (then by customer id)."""
        ...

    def close(self) -> None:
        """Releases what the answers were read through."""
        ...


class FoldedSales:
    """:class:`SalesQueries` from a :class:`SalesView` folded in memory from ``app``'s log.

    Folding costs a read of every ownership and rep event at the first catch-up, so
    it suits the in-memory store and tests; the composition root wires the persisted
    views instead.
    """

    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self.view = SalesView()

    def catch_up(self) -> int:
        return self.view.catch_up(self._app)

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Nothing: the fold reads new events from the log at its next catch-up, which
        on the in-memory store it uses costs no query."""

    def rep_snapshots(self) -> list[RepSnapshot]:
        return self.view.rep_snapshots()

    def last_round_robin(self) -> str | None:
        return self.view.last_round_robin

    def supervisor_of(self, rep_id: str) -> str | None:
        return self.view.supervisor_of(rep_id)

    def due_by(self, now: datetime) -> list[UUID]:
        return self.view.due_by(now)

    def stale_by(self, before: datetime) -> list[UUID]:
        return self.view.stale_by(before)

    def customers_of(self, rep_id: str) -> list[UUID]:
        return self.view.customers_of(rep_id)

    def pool_entries(self, limit: int | None = None, offset: int = 0) -> list[PoolEntry]:
        entries = self.view.pool_entries()
        return entries[offset:] if limit is None else entries[offset : offset + limit]

    def close(self) -> None:
        """Nothing to release: the fold lives in this object."""
