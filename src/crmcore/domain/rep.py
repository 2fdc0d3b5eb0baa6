"""The Rep aggregate: one sales rep - who they are in the sales organisation, and their book.

The book (how many customers the rep owns, how many they claimed today) lives on the
rep so that every ownership change saves the rep together with the customer's
Ownership: two assignments racing for a rep's last free slot, or a rep claiming from
two browser tabs past the daily quota, collide on the rep's version and one of them
is decided again. The rep's id is a uuid5 of its rep id, so any process finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


def rep_aggregate_id(rep_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crmcore:rep:{rep_id}")


@dataclass(frozen=True)
class RepProfile:
    """What assignment rules and permissions know of a rep; all of it changes by events."""

    team: str | None = None
    supervisor: bool = False
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    capacity: int = 200
    tier: int = 1
    weight: float = 1.0

    def to_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> RepProfile:
        tuples = {"regions", "industries", "product_lines", "channels"}
        values: dict[str, Any] = {k: tuple(v) if k in tuples else v for k, v in fields.items()}
        return cls(**values)


class Rep(Aggregate):
    """A sales rep: profile, whether they still work here, and the customers they hold."""

    if TYPE_CHECKING:
        rep_id: str
        profile_fields: dict[str, Any]
        active: bool
        gone: bool
        handover_to: str | None
        open_count: int
        claim_day: str | None
        claims_that_day: int

    class Event(CrmEvent):
        pass

    class Joined(Event, Aggregate.Created):
        """A rep joined the sales organisation with this profile (v1)."""

        rep_id: str
        profile: dict[str, Any]

        def apply(self, rep: Rep) -> None:
            rep.rep_id = self.rep_id
            rep.profile_fields = dict(self.profile)
            rep.active = True
            rep.gone = False
            rep.handover_to = None
            rep.open_count = 0
            rep.claim_day = None
            rep.claims_that_day = 0

    class ProfileChanged(Event):
        """The rep's team, coverage, capacity, tier or weight changed; the whole new
        profile is kept, so no earlier event is needed to read it (v1)."""

        rep_id: str
        profile: dict[str, Any]

        def apply(self, rep: Rep) -> None:
            rep.profile_fields = dict(self.profile)

    class HandoverStarted(Event):
        """The rep is leaving: no new customers from now on; their customers go to
        ``handover_to`` (None: the pool) one by one (v1)."""

        rep_id: str
        handover_to: str | None

        def apply(self, rep: Rep) -> None:
            rep.active = False
            rep.handover_to = self.handover_to

    class Left(Event):
        """The handover is complete and the rep has left (v1)."""

        rep_id: str
        handover_to: str | None

        def apply(self, rep: Rep) -> None:
            rep.active = False
            rep.gone = True

    class CustomerTaken(Event):
        """The rep became the owner of ``customer_id``; ``how`` is assigned, claimed or
        transferred, and ``day`` the business's local date (claims count per day) (v1)."""

        rep_id: str
        customer_id: UUID
        how: str
        day: str

        def apply(self, rep: Rep) -> None:
            rep.open_count += 1
            if self.how == "claimed":
                if rep.claim_day != self.day:
                    rep.claim_day = self.day
                    rep.claims_that_day = 0
                rep.claims_that_day += 1

    class CustomersDropped(Event):
        """The rep no longer owns these customers (released, recycled, transferred
        away); one event per save, however many customers it moved (v1)."""

        rep_id: str
        customer_ids: list[UUID]
        how: str

        def apply(self, rep: Rep) -> None:
            rep.open_count -= len(self.customer_ids)

    @classmethod
    def join(cls, rep_id: str, profile: RepProfile, context: EventContext) -> Rep:
        return cls._create(
            cls.Joined,
            id=rep_aggregate_id(rep_id),
            rep_id=rep_id,
            profile=profile.to_fields(),
            **context.fields(),
        )

    def change_profile(self, profile: RepProfile, context: EventContext) -> bool:
        """Records the new profile; False (and no event) when nothing differs."""
        if profile == self.profile:
            return False
        self.trigger_event(
            self.ProfileChanged, rep_id=self.rep_id, profile=profile.to_fields(), **context.fields()
        )
        return True

    def start_handover(self, handover_to: str | None, context: EventContext) -> None:
        self.trigger_event(
            self.HandoverStarted, rep_id=self.rep_id, handover_to=handover_to, **context.fields()
        )

    def leave(self, context: EventContext) -> None:
        self.trigger_event(
            self.Left, rep_id=self.rep_id, handover_to=self.handover_to, **context.fields()
        )

    def take(self, customer_id: UUID, how: str, day: str, context: EventContext) -> None:
        self.trigger_event(
            self.CustomerTaken,
            rep_id=self.rep_id,
            customer_id=customer_id,
            how=how,
            day=day,
            **context.fields(),
        )

    def drop(self, customer_ids: list[UUID], how: str, context: EventContext) -> None:
        self.trigger_event(
            self.CustomersDropped,
            rep_id=self.rep_id,
            customer_ids=customer_ids,
            how=how,
            **context.fields(),
        )

    # -- what the rules read ----------------------------------------------------------

    @property
    def profile(self) -> RepProfile:
        # Kept as plain fields on the aggregate so that its snapshots are plain JSON.
        return RepProfile.from_fields(self.profile_fields)

    def claims_on(self, day: str) -> int:
        return self.claims_that_day if self.claim_day == day else 0
