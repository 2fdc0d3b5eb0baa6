"""A person's word that two customers are not one: the duplicate report stops asking.

The scan suggests pairs (merge, review); someone who knows the two companies may answer
"these are two": 华信科技 in Beijing and 华信科技 in Shanghai, a franchise and its owner.
That answer is a fact with a reason and an author, kept as an event like every other
decision, so a rebuilt report leaves the pair out again and an audit can ask who said
so. One aggregate per pair, its id derived from the two customer ids in either order:
two people dismissing the same pair at once cannot both record it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext

_NAMESPACE = UUID("6c1f0d1e-5b7a-4f4e-9a55-3c8f2f6d9b21")


def ordered_pair(one: UUID, other: UUID) -> tuple[UUID, UUID]:
    """The pair in the report's order (ids compared as text, as the report sorts)."""
    return (one, other) if str(one) < str(other) else (other, one)


class DuplicateDismissal(Aggregate):
    """Two customers a person said are not duplicates of each other."""

    if TYPE_CHECKING:
        customer_a: UUID
        customer_b: UUID
        dismissed_by: str
        dismissed_at: datetime

    class Dismissed(CrmEvent, Aggregate.Created):
        """``customer_a`` and ``customer_b`` (``customer_a`` sorts first) are two
        customers; ``reason`` says how the person knows (v1)."""

        customer_a: UUID
        customer_b: UUID

        def apply(self, dismissal: DuplicateDismissal) -> None:
            dismissal.customer_a = self.customer_a
            dismissal.customer_b = self.customer_b
            dismissal.dismissed_by = self.actor
            dismissal.dismissed_at = self.occurred_at

    @staticmethod
    def id_for(one: UUID, other: UUID) -> UUID:
        """The pair's aggregate id, the same whichever customer is named first."""
        a, b = ordered_pair(one, other)
        return uuid5(_NAMESPACE, f"{a}|{b}")

    @classmethod
    def dismiss(cls, one: UUID, other: UUID, context: EventContext) -> DuplicateDismissal:
        a, b = ordered_pair(one, other)
        return cls._create(
            cls.Dismissed, id=cls.id_for(a, b), customer_a=a, customer_b=b, **context.fields()
        )
