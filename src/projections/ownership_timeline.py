"""Who owned each customer, from when to when, and how each ownership began and ended.

``ownership_periods`` holds one row per ownership: the owner, when and how it began
(assigned by a rule, claimed from the pool, transferred), and - once over - when and
how it ended (released, recycled by the sweeper with the cause, transferred away,
reassigned). The open period of a customer is the one without an end. This is the
history an ownership dispute reads ("whose deal was it on 3 March?"); the rows derive
from the ownership events alone, so the table can be dropped and rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Integer, String, Table, bindparam, select, update
from sqlalchemy.engine import Engine

from crmcore.domain.ownership import Ownership
from projections.projection import Projection, ViewWriter, new_value
from projections.tables import UtcDateTime, views

periods = Table(
    "ownership_periods",
    views,
    Column("customer_id", String(36), primary_key=True),
    # The notification id of the event that began the period: orders a customer's
    # periods, identically on a rebuild.
    Column("started_no", Integer, primary_key=True),
    Column("owner", String, nullable=False, index=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("began_how", String(16), nullable=False),
    Column("rule", String, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("ended_how", String(16), nullable=True),
    Column("end_reason", String, nullable=True),
)

_BEGAN = {
    Ownership.Assigned: "assigned",
    Ownership.Claimed: "claimed",
    Ownership.Transferred: "transferred",
}


# Built once: applied per ownership change (see ViewWriter.execute).
_END_OPEN_PERIOD = (
    update(periods)
    .where(periods.c.customer_id == bindparam("cid"), periods.c.ended_at.is_(None))
    .values(
        ended_at=new_value(periods, "ended_at"),
        ended_how=new_value(periods, "ended_how"),
        end_reason=new_value(periods, "end_reason"),
    )
)


def _end_open_period(
    writer: ViewWriter, event: Ownership.Event, how: str, reason: str | None
) -> None:
    writer.execute(
        _END_OPEN_PERIOD,
        {
            "cid": str(event.customer_id),
            "new_ended_at": event.occurred_at,
            "new_ended_how": how,
            "new_end_reason": reason,
        },
    )


def _owner_changed(writer: ViewWriter, event: Ownership.OwnerChanged) -> None:
    how = _BEGAN[type(event)]
    rule = event.rule if isinstance(event, Ownership.Assigned) else None
    if event.previous_owner is not None:
        # A transfer, or the sweeper reassigning a missed SLA: the old period ends here.
        _end_open_period(writer, event, how, f"to {event.owner}")
    writer.insert(
        periods,
        {
            "customer_id": str(event.customer_id),
            "started_no": writer.notification_id,
            "owner": event.owner,
            "started_at": event.occurred_at,
            "began_how": how,
            "rule": rule,
            "ended_at": None,
            "ended_how": None,
            "end_reason": None,
        },
    )


def _owner_removed(writer: ViewWriter, event: Ownership.OwnerRemoved) -> None:
    how = "recycled" if isinstance(event, Ownership.Recycled) else "released"
    _end_open_period(writer, event, how, event.pool_reason)


def _handed_over(writer: ViewWriter, event: Ownership.HandedOver) -> None:
    _end_open_period(writer, event, "converted", f"to customer {event.to_customer_id}")


TIMELINE_VIEW = Projection(
    name="ownership_timeline",
    layout=1,
    tables=(periods,),
    handlers={
        Ownership.Assigned: _owner_changed,
        Ownership.Claimed: _owner_changed,
        Ownership.Transferred: _owner_changed,
        Ownership.Released: _owner_removed,
        Ownership.Recycled: _owner_removed,
        Ownership.HandedOver: _handed_over,
    },
)


@dataclass(frozen=True)
class OwnershipPeriod:
    """One owner's time with a customer; ``ended_at`` is None while it lasts."""

    owner: str
    started_at: datetime
    began_how: str
    rule: str | None
    ended_at: datetime | None
    ended_how: str | None
    end_reason: str | None


def timeline(engine: Engine, customer_id: UUID) -> list[OwnershipPeriod]:
    """The customer's ownerships, oldest first (an index range on the customer)."""
    query = (
        select(periods)
        .where(periods.c.customer_id == str(customer_id))
        .order_by(periods.c.started_no)
    )
    with engine.connect() as connection:
        return [
            OwnershipPeriod(
                row.owner,
                row.started_at,
                row.began_how,
                row.rule,
                row.ended_at,
                row.ended_how,
                row.end_reason,
            )
            for row in connection.execute(query)
        ]
