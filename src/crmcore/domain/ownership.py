"""The Ownership aggregate: who owns one customer, how long it is protected, and why.

One per customer (its id is a uuid5 of the customer id), so every command that could
give the customer an owner - assign, claim, transfer, the sweeper - writes this same
aggregate, and optimistic concurrency lets exactly one of two racing writers win: the
invariant "at most one owner at any instant" is the store's, not a hope. Rules are
checked by ``crmcore.ownership.policies`` before a method here is called; the events carry the
deadlines they computed, so replay never recomputes a rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


def ownership_id(customer_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"crmcore:ownership:{customer_id}")


class Ownership(Aggregate):
    """The owner of one customer (None: unassigned or in the pool) and its protection."""

    if TYPE_CHECKING:
        customer_id: UUID
        owner: str | None
        owner_since: datetime | None
        protection: str | None
        protected_until: datetime | None
        respond_by: datetime | None
        respond_cause: str | None
        collaborators: dict[str, float]
        in_pool: bool
        pool_since: datetime | None
        pool_reason: str | None
        previous_owner: str | None
        cooldowns: dict[str, datetime]
        opportunities: dict[str, str]
        deals_won: int
        last_at: datetime
        last_contact_at: datetime | None

    class Event(CrmEvent):
        customer_id: UUID

        def apply(self, ownership: Ownership) -> None:
            ownership.last_at = max(ownership.last_at, self.occurred_at)

    class Started(Event, Aggregate.Created):
        """The customer's first ownership change is being recorded (v1)."""

        def apply(self, ownership: Ownership) -> None:
            ownership.customer_id = self.customer_id
            ownership.owner = ownership.owner_since = ownership.previous_owner = None
            ownership.protection = ownership.protected_until = None
            ownership.respond_by = ownership.respond_cause = None
            ownership.collaborators = {}
            ownership.in_pool = False
            ownership.pool_since = ownership.pool_reason = None
            ownership.cooldowns = {}
            ownership.opportunities = {}
            ownership.deals_won = 0
            ownership.last_at = self.occurred_at
            ownership.last_contact_at = None

    class OwnerChanged(Event):
        """Base of the events that give the customer a new owner."""

        owner: str
        previous_owner: str | None
        rule_set_version: str
        protection: str
        protected_until: datetime | None
        respond_by: datetime | None

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.owner = self.owner
            ownership.owner_since = self.occurred_at
            ownership.previous_owner = self.previous_owner
            ownership.protection = self.protection
            ownership.protected_until = self.protected_until
            ownership.respond_by = self.respond_by
            ownership.respond_cause = self.respond_cause
            ownership.collaborators = {}
            ownership.in_pool = False
            ownership.pool_since = ownership.pool_reason = None

        @property
        def respond_cause(self) -> str:
            return "sla_missed"

    class Assigned(OwnerChanged):
        """The customer was assigned to ``owner`` by ``rule`` (a picker, or ``manual``) (v1)."""

        rule: str

    class Claimed(OwnerChanged):
        """``owner`` claimed the customer from the pool (or unassigned) (v1)."""

        @property
        def respond_cause(self) -> str:
            return "no_first_contact"

    class Transferred(OwnerChanged):
        """The customer moved from ``previous_owner`` to ``owner`` by a supervisor or a
        handover (``handover`` is then True) (v1)."""

        handover: bool

    class OwnerRemoved(Event):
        """Base of the events that send the customer to the pool."""

        previous_owner: str
        cooldown_until: datetime | None

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.previous_owner = self.previous_owner
            ownership.owner = ownership.owner_since = None
            ownership.protection = ownership.protected_until = None
            ownership.respond_by = ownership.respond_cause = None
            ownership.collaborators = {}
            ownership.in_pool = True
            ownership.pool_since = self.occurred_at
            ownership.pool_reason = self.pool_reason
            if self.cooldown_until is not None:
                ownership.cooldowns = {
                    **ownership.cooldowns,
                    self.previous_owner: self.cooldown_until,
                }

        @property
        def pool_reason(self) -> str:
            return "released"

    class Released(OwnerRemoved):
        """The owner gave the customer back to the pool; the reason is on the event (v1)."""

    class Recycled(OwnerRemoved):
        """The sweeper returned the customer to the pool: ``cause`` is
        protection_expired, no_first_contact or sla_missed, past ``deadline`` (v1)."""

        cause: str
        deadline: datetime
        rule_set_version: str

        @property
        def pool_reason(self) -> str:
            return self.cause

    class HandedOver(Event):
        """The lead this ownership was of became customer ``to_customer_id``, whose own
        ownership takes over (the same save); this one ends without entering the pool (v1)."""

        previous_owner: str | None
        to_customer_id: UUID

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.previous_owner = self.previous_owner
            ownership.owner = ownership.owner_since = None
            ownership.protection = ownership.protected_until = None
            ownership.respond_by = ownership.respond_cause = None
            ownership.collaborators = {}
            ownership.in_pool = False
            ownership.pool_since = ownership.pool_reason = None

    class Escalated(Event):
        """Nobody contacted the customer in time; ``supervisor`` is asked to act (v1)."""

        owner: str
        supervisor: str | None
        deadline: datetime

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.respond_by = ownership.respond_cause = None

    class FollowedUp(Event):
        """A valid follow-up by the owner or a collaborator; it renews protection (v1).
        What was said and agreed (`content`, `outcome`) is free text about a person: sealed
        at rest in a book with a master key, and `[erased]` after the customer's erasure."""

        free_text: ClassVar[tuple[str, ...]] = ("content", "outcome")

        rep: str
        channel: str
        content: str
        outcome: str
        next_contact_at: datetime
        protection: str
        protected_until: datetime | None

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.protection = self.protection
            ownership.protected_until = self.protected_until
            ownership.respond_by = ownership.respond_cause = None
            ownership.last_contact_at = self.occurred_at

    class CollaboratorsChanged(Event):
        """The reps credited alongside the owner, with their attribution shares (v1)."""

        owner: str
        shares: dict[str, float]

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            ownership.collaborators = dict(self.shares)

    class OpportunityNoted(Event):
        """An opportunity with the customer was opened, won or lost by ``rep`` (v1)."""

        opportunity_id: str
        rep: str
        status: str
        protection: str | None
        protected_until: datetime | None

        def apply(self, ownership: Ownership) -> None:
            super().apply(ownership)
            opportunities = dict(ownership.opportunities)
            if self.status == "open":
                opportunities[self.opportunity_id] = self.rep
            else:
                opportunities.pop(self.opportunity_id, None)
            if self.status == "won":
                ownership.deals_won += 1
            ownership.opportunities = opportunities
            if self.protection is not None:
                ownership.protection = self.protection
                ownership.protected_until = self.protected_until

    # -- commands (rules were checked by the caller) -----------------------------------

    @classmethod
    def start(cls, customer_id: UUID, context: EventContext) -> Ownership:
        return cls._create(
            cls.Started, id=ownership_id(customer_id), customer_id=customer_id, **context.fields()
        )

    def record(self, event_class: type[Event], context: EventContext, **fields: Any) -> None:
        """Appends one event of this aggregate; every command method ends here."""
        self.trigger_event(event_class, customer_id=self.customer_id, **fields, **context.fields())

    # -- what the rules read ------------------------------------------------------------

    def is_protected(self, now: datetime) -> bool:
        if self.owner is None or self.protection is None:
            return False
        return self.protected_until is None or self.protected_until > now

    def may_change_sales_data(self, rep: str) -> bool:
        return rep == self.owner or rep in self.collaborators

    def cooldown_of(self, rep: str, now: datetime) -> datetime | None:
        until = self.cooldowns.get(rep)
        return until if until is not None and until > now else None

    def open_opportunity_of_another(self, rep: str) -> tuple[str, str] | None:
        """(opportunity id, rep) of an open opportunity someone else holds, if any."""
        for opportunity_id, holder in sorted(self.opportunities.items()):
            if holder != rep:
                return opportunity_id, holder
        return None

    def due(self, now: datetime) -> tuple[str, datetime] | None:
        """(cause, deadline) if the sweeper has work here at ``now``, else None."""
        if self.owner is None:
            return None
        if self.respond_by is not None and self.respond_by <= now:
            return self.respond_cause or "sla_missed", self.respond_by
        if self.protected_until is not None and self.protected_until <= now:
            return "protection_expired", self.protected_until
        return None


def next_deadline(respond_by: datetime | None, protected_until: datetime | None) -> datetime | None:
    """When the sweeper next has work on an owned customer: the earlier of its response
    deadline and its protection's end, if either is set (what ``Ownership.due`` tests,
    as one instant, for the views that index it)."""
    deadlines = [d for d in (respond_by, protected_until) if d is not None]
    return min(deadlines) if deadlines else None
