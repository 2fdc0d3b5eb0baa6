"""A lead capture that turned out to be an existing customer, kept on that customer.

When the identity check finds that a captured lead is a customer we already have (a
shared phone, or a name a block rule matches), no lead is created: the capture becomes
a touch on the customer, routed to its owner. The event keeps what was entered and how
it matched, so the owner sees the buyer came back through the exhibition, and the
collision read model sees a lead another rep captured for somebody else's customer.
"""

from __future__ import annotations

from typing import Any, Protocol

from crmcore.domain.base import CrmEvent


class Touchable(Protocol):
    """What the event changes on a customer (``Customer`` applies it)."""

    lead_touches: int


class LeadTouched(CrmEvent):
    """A captured lead was this customer (v1): the arrival (``touch``), what was entered
    (``record``), the rule and keys it matched on, and the owner it was routed to
    (None: the customer has no owner now)."""

    touch: dict[str, Any]
    record: dict[str, Any]
    rule: str
    matched_on: list[str]
    routed_to: str | None

    def apply(self, customer: Touchable) -> None:
        customer.lead_touches = getattr(customer, "lead_touches", 0) + 1
