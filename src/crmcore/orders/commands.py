"""Order commands: sign a contract, then record its milestones and payments.

``occurred_at`` (the business time) decides whom a milestone is credited to, so a
payment recorded late says when it was received.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from crmcore.commands import Command, ShortText
from crmcore.money import PositiveAmount

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class SignOrder(Command):
    """A contract with the customer was signed (optionally closing an opportunity)."""

    customer_id: UUID
    amount: PositiveAmount
    currency: Currency = "CNY"
    opportunity_id: UUID | None = None
    order_no: ShortText = None


class _OrderCommand(Command):
    order_id: UUID


class RecordDelivery(_OrderCommand):
    """The order was delivered."""


class RecordAcceptance(_OrderCommand):
    """The customer accepted the delivery (验收)."""


class RecordInvoice(_OrderCommand):
    """An invoice was issued for part or all of the order."""

    amount: PositiveAmount
    invoice_no: ShortText = None


class RecordPayment(_OrderCommand):
    """A payment (回款) was received for the order."""

    amount: PositiveAmount
    payment_no: ShortText = None
