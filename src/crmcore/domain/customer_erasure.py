"""The event of erasing a customer's personal data on request (PIPL art. 47, GDPR art. 17).

History is not rewritten: the erasure is one more event, and what makes the personal
values unreadable is the destruction of the data keys that sealed them (the store's
protection, ``crmcore.personal_data``). ``subjects`` names every aggregate whose key
went: the customer, each customer merged into it and each lead that became one of them.
After it the customer keeps its company, its ownership and its deals; its contact name
and its phone, e-mail and WeChat keys are gone, and those keys are free for anyone to
register again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crmcore.domain.base import CrmEvent
from crmcore.domain.ownership import ownership_id
from crmcore.identity import IdentityKey
from crmcore.personal_data import PERSONAL_KINDS

__all__ = ["PERSONAL_KINDS", "Erasable", "Erased", "erased_subjects"]


def erased_subjects(subjects: Iterable[UUID]) -> list[UUID]:
    """Every key an erasure of ``subjects`` (customers, leads) destroys: theirs, and
    those of their ownerships, which seal the follow-ups' notes about them."""
    named = list(subjects)
    return named + [ownership_id(subject) for subject in named]


class Erasable(Protocol):
    contact_name: str | None
    identity_keys: tuple[IdentityKey, ...]
    erased_at: datetime | None
    erased_with: frozenset[UUID]


class Erased(CrmEvent):
    """The customer's personal data was erased; ``subjects`` lost their data keys, and
    the customer its ``personal_keys`` phone, e-mail and WeChat keys (v1)."""

    subjects: list[UUID]
    personal_keys: int

    def apply(self, customer: Erasable) -> None:
        customer.contact_name = None
        customer.identity_keys = tuple(
            key for key in customer.identity_keys if key.kind not in PERSONAL_KINDS
        )
        customer.erased_at = self.occurred_at
        # Whose keys went with it (merged-in customers, its leads): a split gives a
        # tombstone among them back erased.
        customer.erased_with = frozenset(self.subjects)
