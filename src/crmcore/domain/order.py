"""The Order aggregate (订单): a signed contract and its milestones, each credited.

The seeds' last line of defence against collisions is the money: every milestone of an
order - signed, delivered, accepted, invoiced, paid - names the reps credited with it
and their shares, as the customer's ownership stood **at the business time of the
milestone**. A payment that arrives in March for a February delivery, recorded after
the customer was transferred, is still credited to whoever owned it in February.

The credits are computed once, by the command, from the ownership's history, and kept
on the event with the evidence (the ownership version they were read at), so a replay
and an audit read the very attribution that was made. Amounts are decimal text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext
from crmcore.money import add

MILESTONES = ("signed", "delivered", "accepted", "invoiced", "paid")


class Order(Aggregate):
    """A contract with a customer: amount, milestones reached, invoiced and paid totals."""

    if TYPE_CHECKING:
        customer_id: UUID
        opportunity_id: UUID | None
        order_no: str | None
        amount: str
        currency: str
        reached: dict[str, str]  # milestone -> business time (ISO) first reached
        invoiced: str
        paid: str

    class Event(CrmEvent):
        """Every milestone names its credited reps: ``credits`` [{rep, share}] (shares sum
        to 1; empty when nobody owned the customer then) and ``credit_basis`` (the
        ownership version read, and the rule)."""

        credits: list[dict[str, Any]]
        credit_basis: dict[str, Any]

    class Signed(Event, Aggregate.Created):
        """The contract was signed (v1)."""

        customer_id: UUID
        opportunity_id: UUID | None
        order_no: str | None
        amount: str
        currency: str

        def apply(self, order: Order) -> None:
            order.customer_id = self.customer_id
            order.opportunity_id = self.opportunity_id
            order.order_no = self.order_no
            order.amount = self.amount
            order.currency = self.currency
            order.reached = {"signed": self.occurred_at.isoformat()}
            order.invoiced = order.paid = "0.00"

    class Delivered(Event):
        """The goods or service were delivered (v1)."""

        def apply(self, order: Order) -> None:
            order.reached = {**order.reached, "delivered": self.occurred_at.isoformat()}

    class Accepted(Event):
        """The customer accepted the delivery (验收) (v1)."""

        def apply(self, order: Order) -> None:
            order.reached = {**order.reached, "accepted": self.occurred_at.isoformat()}

    class Invoiced(Event):
        """An invoice for ``amount`` was issued (one of several, perhaps) (v1)."""

        amount: str
        invoice_no: str | None

        def apply(self, order: Order) -> None:
            order.invoiced = add(order.invoiced, self.amount)
            order.reached = {"invoiced": self.occurred_at.isoformat(), **order.reached}

    class Paid(Event):
        """A payment of ``amount`` was received (回款) (v1)."""

        amount: str
        payment_no: str | None

        def apply(self, order: Order) -> None:
            order.paid = add(order.paid, self.amount)
            order.reached = {"paid": self.occurred_at.isoformat(), **order.reached}

    @classmethod
    def sign(
        cls,
        order_id: UUID,
        *,
        customer_id: UUID,
        opportunity_id: UUID | None,
        order_no: str | None,
        amount: str,
        currency: str,
        credits: list[dict[str, Any]],
        credit_basis: dict[str, Any],
        context: EventContext,
    ) -> Order:
        return cls._create(
            cls.Signed,
            id=order_id,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            order_no=order_no,
            amount=amount,
            currency=currency,
            credits=credits,
            credit_basis=credit_basis,
            **context.fields(),
        )

    def reach(
        self,
        milestone: str,
        credits: list[dict[str, Any]],
        credit_basis: dict[str, Any],
        context: EventContext,
        **fields: Any,
    ) -> None:
        """Records a milestone after ``signed``; the caller checked the order's rules."""
        event_class = {
            "delivered": self.Delivered,
            "accepted": self.Accepted,
            "invoiced": self.Invoiced,
            "paid": self.Paid,
        }[milestone]
        self.trigger_event(
            event_class, credits=credits, credit_basis=credit_basis, **fields, **context.fields()
        )

    @property
    def outstanding(self) -> Decimal:
        """What is still to be paid."""
        return Decimal(self.amount) - Decimal(self.paid)

    @property
    def uninvoiced(self) -> Decimal:
        return Decimal(self.amount) - Decimal(self.invoiced)
