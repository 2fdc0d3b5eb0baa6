"""Dismissing a suspected duplicate pair: "these two are different customers".

The pair is named by any ids of the two customers (a tombstone stands for its
survivor); both must be live customers and distinct. The dismissal is saved as one
event on the pair's own aggregate, so dismissing the same pair twice - or two people at
once - records it once and refuses the second (``already_dismissed``, naming who and
when). Nothing about the customers changes; the duplicate report leaves the pair out
from then on (``projections.duplicate_candidates``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self
from uuid import UUID

from pydantic import model_validator

from crmcore.commands import Command, RequiredNote
from crmcore.domain.duplicate_dismissal import DuplicateDismissal
from crmcore.errors import DismissalRefused

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


class DismissDuplicatePair(Command):
    """Say that ``customer_a`` and ``customer_b`` are not one customer; ``reason``: how
    the person knows (kept on the event for the audit)."""

    customer_a: UUID
    customer_b: UUID
    reason: RequiredNote

    @model_validator(mode="after")
    def _two_customers(self) -> Self:
        if self.customer_a == self.customer_b:
            raise ValueError("customer_b: must differ from customer_a")
        return self


def dismiss(app: CustomerPorts, command: DismissDuplicatePair) -> DuplicateDismissal:
    """One attempt at a dismissal; returns the recorded dismissal."""
    one = app.live_customer(command.customer_a)
    other = app.live_customer(command.customer_b)
    if one.id == other.id:
        raise DismissalRefused(
            "same_customer",
            f"{command.customer_a} and {command.customer_b} are one customer ({one.id}): "
            "split them first (crm customer split) if they are not",
        )
    earlier = app.load(DuplicateDismissal.id_for(one.id, other.id))
    if isinstance(earlier, DuplicateDismissal):
        raise DismissalRefused(
            "already_dismissed",
            f"{one.id} and {other.id} were dismissed as duplicates already, by "
            f"{earlier.dismissed_by} at {earlier.dismissed_at.isoformat()}",
        )
    dismissal = DuplicateDismissal.dismiss(one.id, other.id, app.context_of(command))
    app.save(dismissal)
    return dismissal
