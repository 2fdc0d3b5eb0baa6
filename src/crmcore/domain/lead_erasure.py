"""The event of erasing a lead's personal data on request (PIPL art. 47, GDPR art. 17).

A lead that never became a customer is a person too: the phone, e-mail, WeChat id,
browser fingerprint and contact name it gave are personal data. As for a customer
(``customer_erasure``), history is not rewritten: the erasure is one more event, and the
lead's data key (and those of the leads merged into it) is destroyed. Every key the
lead held is released - an erased lead names nobody - so the same buyer arriving again
starts a new lead. A lead that became a customer is erased with that customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from crmcore.domain.base import CrmEvent
from crmcore.identity import IdentityKey


class ErasableLead(Protocol):
    contact_name: str | None
    identity_keys: tuple[IdentityKey, ...]
    erased_at: datetime | None


class LeadErased(CrmEvent):
    """The lead's personal data was erased: ``subjects`` lost their data keys, and the
    lead its ``released_keys`` exact keys (v1)."""

    subjects: list[UUID]
    released_keys: int

    def apply(self, lead: ErasableLead) -> None:
        lead.contact_name = None
        lead.identity_keys = ()
        lead.erased_at = self.occurred_at
