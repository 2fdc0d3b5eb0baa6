"""What order commands and queries return: the order and each milestone's credits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crmcore.domain.base import CrmEvent
from crmcore.domain.order import Order


@dataclass(frozen=True)
class Milestone:
    """One milestone as recorded: what, when (business and recording time), how much,
    and who was credited on what basis."""

    milestone: str
    occurred_at: str
    recorded_at: str
    amount: str | None
    credits: list[dict[str, Any]]
    credit_basis: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "milestone": self.milestone,
            "occurred_at": self.occurred_at,
            "recorded_at": self.recorded_at,
            "amount": self.amount,
            "credits": self.credits,
            "credit_basis": self.credit_basis,
        }


@dataclass(frozen=True)
class OrderRecord:
    order_id: UUID
    customer_id: UUID
    opportunity_id: UUID | None
    order_no: str | None
    amount: str
    currency: str
    invoiced: str
    paid: str
    milestones: tuple[Milestone, ...]

    @classmethod
    def of(cls, order: Order, history: Sequence[CrmEvent]) -> OrderRecord:
        milestones = tuple(
            Milestone(
                _NAMES[type(event)],
                event.occurred_at.isoformat(),
                event.timestamp.isoformat(),
                getattr(event, "amount", None),
                list(event.credits),
                dict(event.credit_basis),
            )
            for event in history
            if isinstance(event, Order.Event)
        )
        return cls(
            order.id,
            order.customer_id,
            order.opportunity_id,
            order.order_no,
            order.amount,
            order.currency,
            order.invoiced,
            order.paid,
            milestones,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm order show --json`` prints it."""
        return {
            "order_id": str(self.order_id),
            "customer_id": str(self.customer_id),
            "opportunity_id": str(self.opportunity_id) if self.opportunity_id else None,
            "order_no": self.order_no,
            "amount": self.amount,
            "currency": self.currency,
            "invoiced": self.invoiced,
            "paid": self.paid,
            "milestones": [m.to_dict() for m in self.milestones],
        }


_NAMES: dict[type, str] = {
    Order.Signed: "signed",
    Order.Delivered: "delivered",
    Order.Accepted: "accepted",
    Order.Invoiced: "invoiced",
    Order.Paid: "paid",
}
