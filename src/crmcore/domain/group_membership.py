"""Which group one customer is in: the pointer every group change writes.

Its id is a uuid5 of the customer id, so whoever moves a customer between groups -
a link, an unlink, a fold of one group into another - writes this same aggregate, and
optimistic concurrency lets only one of them win. A merge writes it too (``Closed``):
a tombstone must not be linked into a group, and a merge racing a link then conflicts
here instead of leaving a tombstone in a tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


def membership_id(customer_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"crmcore:group-membership:{customer_id}")


class GroupMembership(Aggregate):
    """The group of one customer (None: in no group) and whether it was merged away."""

    if TYPE_CHECKING:
        customer_id: UUID
        group_id: UUID | None
        merged_into: UUID | None

    class Event(CrmEvent):
        pass

    class Started(Event, Aggregate.Created):
        """The customer's first group change is being recorded (v1)."""

        customer_id: UUID

        def apply(self, membership: GroupMembership) -> None:
            membership.customer_id = self.customer_id
            membership.group_id = None
            membership.merged_into = None

    class Joined(Event):
        """The customer is now a member of ``group_id`` (it left any earlier one) (v1)."""

        customer_id: UUID
        group_id: UUID

        def apply(self, membership: GroupMembership) -> None:
            membership.group_id = self.group_id

    class Left(Event):
        """The customer is in no group any more (v1)."""

        customer_id: UUID
        group_id: UUID

        def apply(self, membership: GroupMembership) -> None:
            membership.group_id = None

    class Closed(Event):
        """The customer was merged into ``survivor_id``; it joins no group as a tombstone (v1)."""

        customer_id: UUID
        survivor_id: UUID

        def apply(self, membership: GroupMembership) -> None:
            membership.merged_into = self.survivor_id

    class Reopened(Event):
        """The merge was split: the customer may join groups again (v1)."""

        customer_id: UUID

        def apply(self, membership: GroupMembership) -> None:
            membership.merged_into = None

    @classmethod
    def start(cls, customer_id: UUID, context: EventContext) -> GroupMembership:
        return cls._create(
            cls.Started, id=membership_id(customer_id), customer_id=customer_id, **context.fields()
        )

    def join(self, group_id: UUID, context: EventContext) -> None:
        if self.merged_into is not None:
            raise ValueError(f"customer {self.customer_id} is merged into {self.merged_into}")
        if self.group_id != group_id:
            self.trigger_event(
                self.Joined, customer_id=self.customer_id, group_id=group_id, **context.fields()
            )

    def leave(self, context: EventContext) -> None:
        if self.group_id is None:
            raise ValueError(f"customer {self.customer_id} is in no group")
        self.trigger_event(
            self.Left, customer_id=self.customer_id, group_id=self.group_id, **context.fields()
        )

    def close(self, survivor_id: UUID, context: EventContext) -> None:
        if self.group_id is not None:
            raise ValueError(f"customer {self.customer_id} is in group {self.group_id}")
        self.trigger_event(
            self.Closed, customer_id=self.customer_id, survivor_id=survivor_id, **context.fields()
        )

    def reopen(self, context: EventContext) -> None:
        if self.merged_into is not None:
            self.trigger_event(self.Reopened, customer_id=self.customer_id, **context.fields())
