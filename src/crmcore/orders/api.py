"""The order half of the command API: sign, deliver, accept, invoice, pay, show.

The top layer of :class:`~crmcore.application.CrmApplication`'s command methods; each
hands its command to ``crmcore.orders.handlers``.
"""

from __future__ import annotations

from uuid import UUID

from crmcore.opportunities.api import OpportunityCommands
from crmcore.orders import handlers
from crmcore.orders.commands import (
    RecordAcceptance,
    RecordDelivery,
    RecordInvoice,
    RecordPayment,
    SignOrder,
)
from crmcore.orders.records import OrderRecord


class OrderCommands(OpportunityCommands):
    """Order and payment commands (see the module docstring)."""

    def sign_order(self, command: SignOrder) -> OrderRecord:
        """Records a signed contract, credited as the customer's ownership stood then."""
        order = self.with_retries(lambda: handlers.sign(self, command))
        return self.get_order(order.id)

    def record_milestone(
        self, command: RecordDelivery | RecordAcceptance | RecordInvoice | RecordPayment
    ) -> OrderRecord:
        """Records a delivery, acceptance, invoice or payment of an order, credited to
        the reps who owned the customer at its business time (``occurred_at``), even
        when recorded after a transfer. OrderRefused when the order's rules say no."""
        order = self.with_retries(lambda: handlers.reach(self, command))
        return self.get_order(order.id)

    def get_order(self, order_id: UUID) -> OrderRecord:
        """The order with each milestone and its credits; OrderNotFound if none."""
        order = handlers.load_order(self, order_id)
        return OrderRecord.of(order, self.history(order.id))
