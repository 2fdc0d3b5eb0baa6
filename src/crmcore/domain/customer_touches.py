"""A lead capture that turned out to be an existing customer, kept on that customer.

When the identity check finds that a captured lead is a customer we already have (a
shared phone, or a name a block rule matches), no lead is created: the capture becomes
a touch on the customer, routed to its owner. The event keeps what was entered and how
it matched, so the owner sees the buyer came back through the exhibition, and the
collision read model sees a lead another rep captured for somebody else's customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from crmcore.domain.base import CrmEvent

ArrivalMark = tuple[Any, ...]


def arrival_mark(touch: dict[str, Any], actor: str, at: datetime) -> ArrivalMark:
    """What makes two captures the same arrival recorded twice (an import run again):
    the same channel, tags, campaign, intent, browser, actor and business time."""
    return (
        touch["channel"],
        tuple(touch.get("source_tags") or ()),
        touch.get("campaign"),
        touch.get("intent"),
        touch.get("device_id"),
        touch.get("session_id"),
        actor,
        at,
    )


class Touchable(Protocol):
    """What the events change on a customer (``Customer`` applies them)."""

    lead_arrivals: frozenset[ArrivalMark]
    converted_leads: frozenset[UUID]


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
        mark = arrival_mark(self.touch, self.actor, self.occurred_at)
        customer.lead_arrivals = customer.lead_arrivals | {mark}


class LeadConverted(CrmEvent):
    """``lead_ids`` became this customer (v1): the converted lead and every lead merged
    into it. Their personal data is this customer's, so it is erased with it."""

    lead_ids: list[UUID]

    def apply(self, customer: Touchable) -> None:
        customer.converted_leads = customer.converted_leads | frozenset(self.lead_ids)
