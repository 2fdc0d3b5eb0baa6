"""Attribution: who is credited with every order milestone and payment, revenue per rep
per period, and a weighted forecast.

``order_credits`` holds one row per rep credited with a milestone (signed, delivered,
accepted, invoiced, paid): share, the milestone's amount and the rep's part of it,
business time and month - exactly the credits the event carries, which were taken from
the ownership at that business time. ``attribution_orders`` holds each order's amount,
paid total and furthest milestone for the forecast. Rows derive from order events alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Float, Integer, String, Table, bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import BindParameter

from crmcore.domain.order import MILESTONES, Order
from crmcore.money import add
from projections.projection import Projection, ViewWriter, new_value
from projections.tables import UtcDateTime, views

credits = Table(
    "order_credits",
    views,
    Column("order_id", String(36), primary_key=True),
    Column("entry_no", Integer, primary_key=True, autoincrement=False),
    Column("rep", String, primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("milestone", String(10), nullable=False),
    Column("role", String(12), nullable=False),
    Column("share", Float, nullable=False),
    Column("amount", String(20), nullable=False),
    Column("credited", String(20), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("month", String(7), nullable=False, index=True),
)
orders = Table(
    "attribution_orders",
    views,
    Column("order_id", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("amount", String(20), nullable=False),
    Column("paid", String(20), nullable=False),
    Column("furthest", String(10), nullable=False),
)

_OID: BindParameter[str] = bindparam("oid")
_REACHED = (
    update(orders)
    .where(orders.c.order_id == _OID)
    .values(furthest=new_value(orders, "furthest"), paid=new_value(orders, "paid"))
)
_CENT = Decimal("0.01")


def _credit(writer: ViewWriter, event: Order.Event, customer_id: str, amount: str) -> None:
    for credit in event.credits:
        writer.insert(
            credits,
            {
                "order_id": str(event.originator_id),
                "entry_no": writer.notification_id,
                "rep": credit["rep"],
                "customer_id": customer_id,
                "milestone": _MILESTONE_OF[type(event)],
                "role": credit["role"],
                "share": credit["share"],
                "amount": amount,
                "credited": str((Decimal(amount) * Decimal(str(credit["share"]))).quantize(_CENT)),
                "occurred_at": event.occurred_at,
                "month": event.occurred_at.strftime("%Y-%m"),
            },
        )


def _signed(writer: ViewWriter, event: Order.Signed) -> None:
    customer_id = str(event.customer_id)
    writer.insert(
        orders,
        {
            "order_id": str(event.originator_id),
            "customer_id": customer_id,
            "amount": event.amount,
            "paid": "0.00",
            "furthest": "signed",
        },
    )
    _credit(writer, event, customer_id, event.amount)


def _reached(writer: ViewWriter, event: Order.Event) -> None:
    oid = str(event.originator_id)
    row = writer.fetch(select(orders).where(orders.c.order_id == oid))[0]
    milestone = _MILESTONE_OF[type(event)]
    amount = getattr(event, "amount", None) or row.amount
    paid = add(row.paid, amount) if milestone == "paid" else row.paid
    furthest = row.furthest  # the furthest milestone of the contract itself, not payments
    if milestone != "paid":
        furthest = max(row.furthest, milestone, key=MILESTONES.index)
    writer.execute(_REACHED, {"oid": oid, "new_furthest": furthest, "new_paid": paid})
    _credit(writer, event, row.customer_id, amount)


_MILESTONE_OF: dict[type, str] = {
    Order.Signed: "signed",
    Order.Delivered: "delivered",
    Order.Accepted: "accepted",
    Order.Invoiced: "invoiced",
    Order.Paid: "paid",
}

ATTRIBUTION_VIEW = Projection(
    name="attribution",
    layout=1,
    tables=(credits, orders),
    handlers={
        Order.Signed: _signed,
        Order.Delivered: _reached,
        Order.Accepted: _reached,
        Order.Invoiced: _reached,
        Order.Paid: _reached,
    },
)


# -- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditRow:
    order_id: UUID
    milestone: str
    occurred_at: str
    rep: str
    role: str
    share: float
    amount: str
    credited: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": str(self.order_id),
            "milestone": self.milestone,
            "occurred_at": self.occurred_at,
            "rep": self.rep,
            "role": self.role,
            "share": self.share,
            "amount": self.amount,
            "credited": self.credited,
        }


def credit_rows(engine: Engine, *, limit: int, offset: int = 0) -> list[CreditRow]:
    """Every milestone's credited reps, in the order they were recorded."""
    query = (
        select(credits)
        .order_by(credits.c.entry_no, credits.c.rep)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        return [
            CreditRow(
                UUID(row.order_id),
                row.milestone,
                row.occurred_at.isoformat(),
                row.rep,
                row.role,
                row.share,
                row.amount,
                row.credited,
            )
            for row in connection.execute(query)
        ]


def revenue(engine: Engine) -> dict[tuple[str, str], str]:
    """(rep, month) -> revenue: the rep's part of the payments received that month."""
    query = select(credits.c.rep, credits.c.month, credits.c.credited).where(
        credits.c.milestone == "paid"
    )
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with engine.connect() as connection:
        for rep, month, credited in connection.execute(query):
            totals[(rep, month)] += Decimal(credited)
    return {key: str(value.quantize(_CENT)) for key, value in sorted(totals.items())}


def forecast(engine: Engine, weights: dict[str, float]) -> dict[str, str]:
    """rep -> weighted forecast: what was paid to their credit, plus each order's
    unpaid amount times the weight of the furthest milestone it reached (signed,
    delivered, accepted, invoiced), split by the shares the order was signed with."""
    signed = select(credits.c.order_id, credits.c.rep, credits.c.share).where(
        credits.c.milestone == "signed"
    )
    paid = select(credits.c.rep, credits.c.credited).where(credits.c.milestone == "paid")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with engine.connect() as connection:
        open_value = {
            row.order_id: (Decimal(row.amount) - Decimal(row.paid))
            * Decimal(str(weights.get(row.furthest, 0.0)))
            for row in connection.execute(select(orders))
        }
        for order_id, rep, share in connection.execute(signed):
            totals[rep] += open_value.get(order_id, Decimal(0)) * Decimal(str(share))
        for rep, credited in connection.execute(paid):
            totals[rep] += Decimal(credited)
    return {rep: str(total.quantize(_CENT)) for rep, total in sorted(totals.items())}
