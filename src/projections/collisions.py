"""Every collision (撞单) in one table: refusals, warnings and races lost.

``collisions`` holds one row per event that says two parties went after one customer:

* ``ownership`` - a refused claim, assignment, transfer or change of sales data, a
  contact by somebody other than the owner (warned, not refused), and whether the
  rep's first attempt lost a race (``Collision.Recorded``);
* ``duplicate`` - a record refused as a duplicate of an existing customer
  (``DuplicateAttempt.Blocked``), or created with a warning that it resembles others
  (``Customer.PossibleDuplicateFlagged``);
* ``group`` - a new customer that looks like part of a group whose members other reps
  own (``CrossGroupCollisionFlagged``).

Each row names the customer, the rep who acted, what was attempted, the rule, the
other party when known, the channel (entry path or contact channel), and whether it
was refused. Rows derive from those events alone, so the table can be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Column, Integer, String, Table, func, select
from sqlalchemy.engine import Engine

from crmcore.domain import Collision, CrossGroupCollisionFlagged, Customer, DuplicateAttempt
from projections.projection import Projection, ViewWriter
from projections.tables import UtcDateTime, views

collisions = Table(
    "collisions",
    views,
    # The notification id of the event: unique, in log order, the same on a rebuild.
    Column("collision_no", Integer, primary_key=True),
    Column("occurred_at", UtcDateTime, nullable=False, index=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("rep", String, nullable=False, index=True),
    Column("attempted", String(32), nullable=False),
    Column("rule", String, nullable=False, index=True),
    Column("other_party", String, nullable=True),
    Column("channel", String, nullable=True),
    Column("refused", Boolean, nullable=False),
    Column("lost_race", Boolean, nullable=False),
)


def _row(writer: ViewWriter, event: Any, customer_id: UUID, **values: Any) -> None:
    writer.insert(
        collisions,
        {
            "collision_no": writer.notification_id,
            "occurred_at": event.occurred_at,
            "customer_id": str(customer_id),
            "rep": event.actor,
            "other_party": None,
            "channel": None,
            "lost_race": False,
            **values,
        },
    )


def _ownership(writer: ViewWriter, event: Collision.Recorded) -> None:
    _row(
        writer,
        event,
        event.customer_id,
        kind="ownership",
        rep=event.rep,
        attempted=event.attempted,
        rule=event.rule,
        other_party=event.other_party,
        channel=event.detail.get("channel"),
        refused=event.refused,
        lost_race=event.lost_race,
    )


def _blocked(writer: ViewWriter, event: DuplicateAttempt.Blocked) -> None:
    _row(
        writer,
        event,
        event.existing_customer_id,
        kind="duplicate",
        attempted="register",
        rule=event.rule,
        channel=event.entry_path,
        refused=True,
    )


def _warned(writer: ViewWriter, event: Customer.PossibleDuplicateFlagged) -> None:
    _row(
        writer,
        event,
        event.originator_id,
        kind="duplicate",
        attempted="register",
        rule=event.rule,
        channel=event.entry_path,
        refused=False,
    )


def _cross_group(writer: ViewWriter, event: CrossGroupCollisionFlagged) -> None:
    owners = sorted({str(m["owner"]) for m in event.members if m.get("owner")})
    _row(
        writer,
        event,
        event.originator_id,
        kind="group",
        attempted="register",
        rule="cross_group",
        other_party=", ".join(owners) or None,
        refused=False,
    )


COLLISIONS_VIEW = Projection(
    name="collisions",
    layout=1,
    tables=(collisions,),
    handlers={
        Collision.Recorded: _ownership,
        DuplicateAttempt.Blocked: _blocked,
        Customer.PossibleDuplicateFlagged: _warned,
        CrossGroupCollisionFlagged: _cross_group,
    },
)


@dataclass(frozen=True)
class CollisionRow:
    occurred_at: datetime
    customer_id: UUID
    kind: str
    rep: str
    attempted: str
    rule: str
    other_party: str | None
    channel: str | None
    refused: bool
    lost_race: bool


def collisions_page(
    engine: Engine,
    *,
    limit: int,
    offset: int = 0,
    customer_id: UUID | None = None,
    rep: str | None = None,
    rule: str | None = None,
) -> list[CollisionRow]:
    """Collisions in the order they were recorded, filtered by customer, rep or rule."""
    query = select(collisions).order_by(collisions.c.collision_no).limit(limit).offset(offset)
    if customer_id is not None:
        query = query.where(collisions.c.customer_id == str(customer_id))
    if rep is not None:
        query = query.where(collisions.c.rep == rep)
    if rule is not None:
        query = query.where(collisions.c.rule == rule)
    with engine.connect() as connection:
        return [
            CollisionRow(
                row.occurred_at,
                UUID(row.customer_id),
                row.kind,
                row.rep,
                row.attempted,
                row.rule,
                row.other_party,
                row.channel,
                row.refused,
                row.lost_race,
            )
            for row in connection.execute(query)
        ]


def collisions_by_rule(engine: Engine) -> dict[str, int]:
    """How many collisions each rule caused (the 撞单 report's first table)."""
    query = select(collisions.c.rule, func.count()).group_by(collisions.c.rule)
    with engine.connect() as connection:
        counts: dict[str, int] = dict(connection.execute(query).tuples().all())
    return counts
