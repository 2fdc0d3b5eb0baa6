"""The index aggregate that makes one identity key belong to at most one customer.

Its id is a uuid5 of the key, so two processes that claim the same key write the same
aggregate; saved in the same atomic ``save()`` as the customer, the event store's
optimistic concurrency lets exactly one of them win. Releasing appends an event;
nothing is ever deleted, and the next claim is the next version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext
from crmcore.identity import IdentityKey, KeyKind


class IdentityKeyIndex(Aggregate):
    """Who holds one identity key now, and the history of who held it."""

    if TYPE_CHECKING:
        kind: KeyKind
        value: str
        holder: UUID | None

    class Event(CrmEvent):
        pass

    class Created(Event, Aggregate.Created):
        kind: str
        value: str
        customer_id: UUID

        def apply(self, index: IdentityKeyIndex) -> None:
            index.kind = KeyKind(self.kind)
            index.value = self.value
            index.holder = self.customer_id

    class Claimed(Event):
        customer_id: UUID

        def apply(self, index: IdentityKeyIndex) -> None:
            index.holder = self.customer_id

    class Released(Event):
        customer_id: UUID

        def apply(self, index: IdentityKeyIndex) -> None:
            index.holder = None

    class Transferred(Event):
        """The key moved from one customer to another with no gap (a merge or split)."""

        from_customer_id: UUID
        to_customer_id: UUID

        def apply(self, index: IdentityKeyIndex) -> None:
            index.holder = self.to_customer_id

    @classmethod
    def first_claim(
        cls, key: IdentityKey, customer_id: UUID, context: EventContext
    ) -> IdentityKeyIndex:
        """Creates the index of a key nobody has held before, held by ``customer_id``."""
        return cls._create(
            cls.Created,
            id=key.index_id,
            kind=key.kind.value,
            value=key.value,
            customer_id=customer_id,
            **context.fields(),
        )

    @property
    def key(self) -> IdentityKey:
        return IdentityKey(self.kind, self.value)

    def claim(self, customer_id: UUID, context: EventContext) -> None:
        """Gives a released key to ``customer_id``; the caller checked it is free."""
        if self.holder is not None:
            raise RuntimeError(f"{self.key.label} is held by {self.holder}")
        self.trigger_event(self.Claimed, customer_id=customer_id, **context.fields())

    def release(self, customer_id: UUID, context: EventContext) -> None:
        """Frees the key; only its holder may release it."""
        if self.holder != customer_id:
            raise RuntimeError(f"{self.key.label} is not held by {customer_id}")
        self.trigger_event(self.Released, customer_id=customer_id, **context.fields())

    def transfer(self, from_id: UUID, to_id: UUID, context: EventContext) -> None:
        """Moves the key from its holder to ``to_id`` in one event."""
        if self.holder != from_id:
            raise RuntimeError(f"{self.key.label} is not held by {from_id}")
        self.trigger_event(
            self.Transferred, from_customer_id=from_id, to_customer_id=to_id, **context.fields()
        )
