"""The ownership commands' questions, answered from the ownership and sales-org views.

:class:`SqlSalesQueries` is the :class:`~crmcore.ownership.queries.SalesQueries` of an
application on SQLite or PostgreSQL: ``catch_up`` runs the projection runner for the
views it reads (ownership, sales organisation, and the funnel for stale opportunities),
and each answer is one indexed query. "Due before T" is a range on
``ownerships.due_at``; a rep's customers a range on ``ownerships.owner``; the reps are
the sales organisation (hundreds of rows, not the book). Every order matches the
in-memory fold's exactly (ids compare in byte order), so a decision does not depend on
which implementation answered (a property test runs both).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Recording
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Engine

from crmcore.ownership.folded_view import PoolEntry
from crmcore.ownership.policies.assignment import RepSnapshot
from projections.funnel import FUNNEL_VIEW, STALE
from projections.ownership import OWNERSHIP_VIEW, opportunities, ownerships, pool
from projections.runner import ProjectionRunner
from projections.sales_org import LAST_ROUND_ROBIN, SALES_ORG_VIEW, profile_of, reps, rota
from projections.tables import HeldReader

_REPS_CHANGED = select(
    reps.c.rep_id, reps.c.profile, reps.c.active, reps.c.open_count, reps.c.changed
).where(reps.c.changed > bindparam("seen"))
_ROUND_ROBIN = select(rota.c.rep_id).where(rota.c.slot == LAST_ROUND_ROBIN)

_asked = reps.alias("asked")
_SUPERVISOR = (
    select(reps.c.rep_id)
    .join(_asked, _asked.c.team == reps.c.team)
    .where(
        _asked.c.rep_id == bindparam("rep"),
        reps.c.rep_id != bindparam("rep"),
        reps.c.active.is_(True),
        reps.c.supervisor.is_(True),
    )
    .order_by(reps.c.rep_id)
    .limit(1)
)

_DUE = (
    select(ownerships.c.customer_id)
    .where(ownerships.c.due_at <= bindparam("now", type_=ownerships.c.due_at.type))
    .order_by(ownerships.c.due_at, ownerships.c.customer_id)
)

_open_count = (
    select(func.count())
    .where(opportunities.c.customer_id == ownerships.c.customer_id)
    .scalar_subquery()
)
_BOOK = (
    select(ownerships.c.customer_id)
    .where(ownerships.c.owner == bindparam("rep"))
    .order_by(_open_count.desc(), ownerships.c.last_at.desc(), ownerships.c.customer_id)
)

_POOL = select(pool).order_by(pool.c.since, pool.c.customer_id)


class SqlSalesQueries:
    """Reps, the rota, ownerships due and the pool, from the persisted views."""

    def __init__(self, app: Application[UUID], engine: Engine, *, dispose: bool) -> None:
        self._runner = ProjectionRunner(app, engine, (OWNERSHIP_VIEW, SALES_ORG_VIEW, FUNNEL_VIEW))
        # The one connection every question reads through (autocommit: no snapshot).
        self._reads = HeldReader(engine, dispose=dispose)
        # Assignment reads every rep per decision, and a decision changes one or two:
        # the reps are kept here and refreshed from the rows changed since last read.
        self._reps: dict[str, RepSnapshot] = {}
        self._reps_seen = -1
        self._rep_order: list[RepSnapshot] | None = None

    def catch_up(self) -> int:
        return self._runner.catch_up()

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        self._runner.take(recordings)

    def close(self) -> None:
        self._reads.close()

    def rep_snapshots(self) -> list[RepSnapshot]:
        changed = self._reads.connection().execute(_REPS_CHANGED, {"seen": self._reps_seen})
        for row in changed:
            profile = profile_of(row.profile)
            self._reps[row.rep_id] = RepSnapshot(row.rep_id, profile, row.active, row.open_count)
            self._reps_seen = max(self._reps_seen, row.changed)
            self._rep_order = None
        if self._rep_order is None:
            self._rep_order = sorted(self._reps.values(), key=lambda rep: rep.rep_id)
        return list(self._rep_order)

    def last_round_robin(self) -> str | None:
        found: str | None = self._reads.connection().execute(_ROUND_ROBIN).scalar()
        return found

    def supervisor_of(self, rep_id: str) -> str | None:
        found: str | None = self._reads.connection().execute(_SUPERVISOR, {"rep": rep_id}).scalar()
        return found

    def due_by(self, now: datetime) -> list[UUID]:
        rows = self._reads.connection().execute(_DUE, {"now": now}).scalars()
        return [UUID(cid) for cid in rows]

    def stale_by(self, before: datetime) -> list[UUID]:
        rows = self._reads.connection().execute(STALE, {"before": before})
        return [UUID(oid) for oid in rows.scalars()]

    def customers_of(self, rep_id: str) -> list[UUID]:
        rows = self._reads.connection().execute(_BOOK, {"rep": rep_id}).scalars()
        return [UUID(cid) for cid in rows]

    def pool_entries(self, limit: int | None = None, offset: int = 0) -> list[PoolEntry]:
        query = _POOL.limit(limit).offset(offset) if limit is not None else _POOL.offset(offset)
        return [
            PoolEntry(
                UUID(row.customer_id),
                row.since,
                row.reason,
                row.previous_owner,
                row.cooldown_until,
            )
            for row in self._reads.connection().execute(query)
        ]
