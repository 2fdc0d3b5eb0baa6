"""A collision over who works a customer, kept as a fact of its own.

A refused claim, assignment, transfer or change of sales data, and a contact made by
somebody other than the owner, each become one ``Collision`` with a fresh id. Being
its own aggregate, recording it never conflicts with the winner's save (eight losers
of a claim race record eight collisions without retrying against each other), and
the collision read model finds them all by their one event type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


class Collision(Aggregate):
    """Two reps after one customer: who tried what, and which rule said no."""

    if TYPE_CHECKING:
        customer_id: UUID
        rep: str
        rule: str
        other_party: str | None

    class Recorded(CrmEvent, Aggregate.Created):
        """``rep`` tried ``attempted`` on the customer; ``rule`` refused it (or, for
        ``contact_by_non_owner``, warned) and ``other_party`` is who stood in the way.
        ``lost_race`` says the rep's first attempt lost to a concurrent writer (v1)."""

        customer_id: UUID
        rep: str
        attempted: str
        rule: str
        other_party: str | None
        lost_race: bool
        refused: bool
        detail: dict[str, Any]

        def apply(self, collision: Collision) -> None:
            collision.customer_id = self.customer_id
            collision.rep = self.rep
            collision.rule = self.rule
            collision.other_party = self.other_party

    @classmethod
    def record(
        cls,
        collision_id: UUID,
        *,
        customer_id: UUID,
        rep: str,
        attempted: str,
        rule: str,
        other_party: str | None,
        lost_race: bool,
        refused: bool,
        detail: dict[str, Any],
        context: EventContext,
    ) -> Collision:
        return cls._create(
            cls.Recorded,
            id=collision_id,
            customer_id=customer_id,
            rep=rep,
            attempted=attempted,
            rule=rule,
            other_party=other_party,
            lost_race=lost_race,
            refused=refused,
            detail=detail,
            **context.fields(),
        )
