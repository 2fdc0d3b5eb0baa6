"""Signing orders and recording their milestones; each one atomic save.

Whoever may change the customer's sales data (owner, collaborators, the owner's team
supervisors, data stewards - finance is usually a steward) records them; a refusal is
recorded as a collision. Each milestone is credited as the customer's ownership stood
at its business time (``crmcore.orders.credits``), whenever it is recorded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.commands import Command
from crmcore.domain import EventContext, ownership_id
from crmcore.domain.order import Order
from crmcore.errors import OrderNotFound, OrderRefused, ValidationFailed
from crmcore.opportunities.handlers import load_opportunity
from crmcore.orders.commands import (
    RecordAcceptance,
    RecordDelivery,
    RecordInvoice,
    RecordPayment,
    SignOrder,
)
from crmcore.orders.credits import credits_at

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts

Milestone = RecordDelivery | RecordAcceptance | RecordInvoice | RecordPayment


def load_order(app: CustomerPorts, order_id: UUID) -> Order:
    found = app.load(order_id)
    if not isinstance(found, Order):
        raise OrderNotFound(order_id)
    return found


def sign(app: CustomerPorts, command: SignOrder) -> Order:
    """One attempt at signing."""
    customer = app.live_customer(command.customer_id)
    app.guard_sales_data(customer.id, command, "sign_order")
    if command.opportunity_id is not None:
        opportunity = load_opportunity(app, command.opportunity_id)
        if app.live_customer(opportunity.customer_id).id != customer.id:
            raise ValidationFailed(
                "opportunity_id", f"{command.opportunity_id} is another customer's opportunity"
            )
    context = app.context_of(command)
    credits, basis = _credits(app, customer.id, context)
    order = Order.sign(
        app.new_id(),
        customer_id=customer.id,
        opportunity_id=command.opportunity_id,
        order_no=command.order_no,
        amount=command.amount,
        currency=command.currency,
        credits=credits,
        credit_basis=basis,
        context=context,
    )
    app.save(order)
    return order


def reach(app: CustomerPorts, command: Milestone) -> Order:
    """One attempt at recording a milestone; OrderRefused when the order's rules say no."""
    order = load_order(app, command.order_id)
    customer = app.live_customer(order.customer_id)
    app.guard_sales_data(customer.id, command, _attempted(command))
    context = app.context_of(command)
    signed_at = datetime.fromisoformat(order.reached["signed"])
    if context.occurred_at < signed_at:
        raise ValidationFailed(
            "occurred_at", f"before the order was signed ({signed_at.isoformat()})"
        )
    milestone, fields = _milestone(order, command)
    credits, basis = _credits(app, customer.id, context)
    order.reach(milestone, credits, basis, context, **fields)
    app.save(order)
    return order


def _milestone(order: Order, command: Milestone) -> tuple[str, dict[str, Any]]:
    """The milestone ``command`` records and its fields, or the rule refusing it."""
    if isinstance(command, RecordDelivery):
        if "delivered" in order.reached:
            raise OrderRefused("already_delivered", f"delivered on {order.reached['delivered']}")
        return "delivered", {}
    if isinstance(command, RecordAcceptance):
        if "delivered" not in order.reached:
            raise OrderRefused("not_delivered", "nothing was delivered to accept yet")
        if "accepted" in order.reached:
            raise OrderRefused("already_accepted", f"accepted on {order.reached['accepted']}")
        return "accepted", {}
    if isinstance(command, RecordInvoice):
        if Decimal(command.amount) > order.uninvoiced:
            raise OrderRefused(
                "over_invoiced",
                f"{command.amount} is more than the {order.uninvoiced} not yet invoiced",
            )
        return "invoiced", {"amount": command.amount, "invoice_no": command.invoice_no}
    if Decimal(command.amount) > order.outstanding:
        raise OrderRefused(
            "overpaid", f"{command.amount} is more than the {order.outstanding} outstanding"
        )
    return "paid", {"amount": command.amount, "payment_no": command.payment_no}


def _credits(
    app: CustomerPorts, customer_id: UUID, context: EventContext
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return credits_at(app.history(ownership_id(customer_id)), context.occurred_at)


def _attempted(command: Command) -> str:
    return {
        RecordDelivery: "record_delivery",
        RecordAcceptance: "record_acceptance",
        RecordInvoice: "record_invoice",
        RecordPayment: "record_payment",
    }[type(command)]
