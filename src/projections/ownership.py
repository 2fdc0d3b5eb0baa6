"""Who owns each customer and who waits in the public pool (公海), as SQL tables.

``ownerships`` holds one row per owned customer: owner, since, the response deadline,
protection expiry, last activity and ``due_at`` (the earlier deadline, indexed), so
"which ownerships fall due before T" is an index range, not a scan. ``customer_pool``
holds one row per customer in the pool: since when, why, who had it, the cool-down of
that rep. A customer is in at most one of the two tables. ``customer_opportunities``
holds each customer's open opportunities (a handover gives those customers first).
Rows derive from ownership events alone (the same facts ``crmcore.ownership.folded_view`` folds
in memory), so the tables can be dropped and rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Index, String, Table, bindparam, delete, func, select, update
from sqlalchemy.engine import Engine

from crmcore.domain.ownership import Ownership, next_deadline
from projections.customer_directory import directory
from projections.projection import Projection, ViewWriter, new_value
from projections.tables import UtcDateTime, byte_ordered, views

ownerships = Table(
    "ownerships",
    views,
    # Ties on a deadline go by customer id, in byte order as the in-memory fold sorts.
    Column("customer_id", byte_ordered(36), primary_key=True),
    Column("owner", String, nullable=False, index=True),
    Column("since", UtcDateTime, nullable=False),
    Column("respond_by", UtcDateTime, nullable=True),
    Column("protected_until", UtcDateTime, nullable=True),
    Column("last_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Index("ix_ownerships_due", "due_at", "customer_id"),
)

pool = Table(
    "customer_pool",
    views,
    Column("customer_id", byte_ordered(36), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
    Column("reason", String, nullable=False),
    Column("previous_owner", String, nullable=False),
    Column("cooldown_until", UtcDateTime, nullable=True),
    Index("ix_customer_pool_order", "since", "customer_id"),
)

opportunities = Table(
    "customer_opportunities",
    views,
    Column("customer_id", String(36), primary_key=True),
    Column("opportunity_id", String, primary_key=True),
)


# -- handlers --------------------------------------------------------------------------


# Built once: a catch-up applies them per event (see ViewWriter.execute).
_UNOWN = delete(ownerships).where(ownerships.c.customer_id == bindparam("cid"))
_UNPOOL = delete(pool).where(pool.c.customer_id == bindparam("cid"))
_FOLLOWED_UP = (
    update(ownerships)
    .where(ownerships.c.customer_id == bindparam("cid"))
    .values(
        respond_by=None,
        protected_until=new_value(ownerships, "protected_until"),
        last_at=new_value(ownerships, "last_at"),
        due_at=bindparam("due", type_=ownerships.c.due_at.type),
    )
)
_ESCALATED = (
    update(ownerships)
    .where(ownerships.c.customer_id == bindparam("cid"))
    .values(
        respond_by=None,
        last_at=new_value(ownerships, "last_at"),
        due_at=ownerships.c.protected_until,
    )
)
_RESPOND_BY = select(ownerships.c.respond_by).where(ownerships.c.customer_id == bindparam("cid"))
_PROTECTED = (
    update(ownerships)
    .where(ownerships.c.customer_id == bindparam("cid"))
    .values(
        protected_until=new_value(ownerships, "protected_until"),
        last_at=new_value(ownerships, "last_at"),
        due_at=bindparam("due", type_=ownerships.c.due_at.type),
    )
)
_CLOSE_OPPORTUNITY = delete(opportunities).where(
    opportunities.c.customer_id == bindparam("cid"),
    opportunities.c.opportunity_id == bindparam("opportunity"),
)


def _owner_changed(writer: ViewWriter, event: Ownership.OwnerChanged) -> None:
    cid = str(event.customer_id)
    # A customer with no previous owner was unowned or in the pool, never in
    # ``ownerships``; one with an owner (a transfer, a reassignment) never in the pool.
    writer.execute(_UNPOOL if event.previous_owner is None else _UNOWN, {"cid": cid})
    writer.insert(
        ownerships,
        {
            "customer_id": cid,
            "owner": event.owner,
            "since": event.occurred_at,
            "respond_by": event.respond_by,
            "protected_until": event.protected_until,
            "last_at": event.occurred_at,
            "due_at": next_deadline(event.respond_by, event.protected_until),
        },
    )


def _owner_removed(writer: ViewWriter, event: Ownership.OwnerRemoved) -> None:
    cid = str(event.customer_id)
    writer.execute(_UNOWN, {"cid": cid})  # only an owned customer is released or recycled
    writer.insert(
        pool,
        {
            "customer_id": cid,
            "since": event.occurred_at,
            "reason": event.pool_reason,
            "previous_owner": event.previous_owner,
            "cooldown_until": event.cooldown_until,
        },
    )


def _handed_over(writer: ViewWriter, event: Ownership.HandedOver) -> None:
    # A lead became a customer: its ownership ends, in neither table.
    writer.execute(_UNOWN, {"cid": str(event.customer_id)})
    writer.execute(_UNPOOL, {"cid": str(event.customer_id)})


def _followed_up(writer: ViewWriter, event: Ownership.FollowedUp) -> None:
    # The response deadline is met; protection runs from this follow-up.
    writer.execute(
        _FOLLOWED_UP,
        {
            "cid": str(event.customer_id),
            "new_protected_until": event.protected_until,
            "new_last_at": event.occurred_at,
            "due": event.protected_until,
        },
    )


def _escalated(writer: ViewWriter, event: Ownership.Escalated) -> None:
    writer.execute(_ESCALATED, {"cid": str(event.customer_id), "new_last_at": event.occurred_at})


def _opportunity_noted(writer: ViewWriter, event: Ownership.OpportunityNoted) -> None:
    cid = str(event.customer_id)
    writer.execute(_CLOSE_OPPORTUNITY, {"cid": cid, "opportunity": event.opportunity_id})
    if event.status == "open":
        writer.insert(opportunities, {"customer_id": cid, "opportunity_id": event.opportunity_id})
    if event.protection is None:
        return
    respond_by = writer.scalar(_RESPOND_BY, {"cid": cid})
    writer.execute(
        _PROTECTED,
        {
            "cid": cid,
            "new_protected_until": event.protected_until,
            "new_last_at": event.occurred_at,
            "due": next_deadline(respond_by, event.protected_until),
        },
    )


OWNERSHIP_VIEW = Projection(
    name="ownership",
    layout=2,
    tables=(ownerships, pool, opportunities),
    handlers={
        Ownership.Assigned: _owner_changed,
        Ownership.Claimed: _owner_changed,
        Ownership.Transferred: _owner_changed,
        Ownership.Released: _owner_removed,
        Ownership.Recycled: _owner_removed,
        Ownership.HandedOver: _handed_over,
        Ownership.FollowedUp: _followed_up,
        Ownership.Escalated: _escalated,
        Ownership.OpportunityNoted: _opportunity_noted,
    },
)


# -- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRow:
    """A customer waiting in the pool, with the name the directory knows it by."""

    customer_id: UUID
    name: str | None
    since: datetime
    reason: str
    previous_owner: str
    cooldown_until: datetime | None


def pool_page(engine: Engine, *, limit: int, offset: int = 0) -> list[PoolRow]:
    """Customers in the pool, longest waiting first (needs the directory view too, for
    the names)."""
    name = func.coalesce(directory.c.company_name, directory.c.contact_name)
    query = (
        select(pool, name.label("name"))
        .select_from(pool.outerjoin(directory, directory.c.customer_id == pool.c.customer_id))
        .order_by(pool.c.since, pool.c.customer_id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        return [
            PoolRow(
                UUID(row["customer_id"]),
                row["name"],
                row["since"],
                row["reason"],
                row["previous_owner"],
                row["cooldown_until"],
            )
            for row in connection.execute(query).mappings()
        ]


def pool_size(engine: Engine) -> int:
    with engine.connect() as connection:
        count: int = connection.execute(select(func.count()).select_from(pool)).scalar_one()
    return count


def due_before(engine: Engine, moment: datetime, *, limit: int) -> list[UUID]:
    """Owned customers whose next deadline is at or before ``moment``, earliest first:
    an index range on ``due_at``, whatever the number of owned customers."""
    query = (
        select(ownerships.c.customer_id)
        .where(ownerships.c.due_at <= moment)
        .order_by(ownerships.c.due_at, ownerships.c.customer_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [UUID(cid) for cid in connection.execute(query).scalars()]
