"""The index aggregate that makes one identity key belong to at most one customer.

Its id is a uuid5 of the key, so two processes that claim the same key write the same
aggregate; saved in the same atomic ``save()`` as the customer, the event store's
optimistic concurrency lets exactly one of them win. Releasing appends an event;
nothing is ever deleted, and the next claim is the next version.

A phone or e-mail that many unrelated companies give (an agency's switchboard, a
reseller's ``info@``) is not an identity: each unrelated company refused on it is
recorded (``Contested``), and at the configured count the key is declared generic
(``DeclaredGeneric``). A generic key no longer makes anyone a duplicate and is no longer
unique; customers still list it as contact data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext
from crmcore.identity import IdentityKey, KeyKind
from crmcore.identity.keys import PLAIN_KEY_IDS, KeyIds


class IdentityKeyIndex(Aggregate):
    """Who holds one identity key now, and the history of who held it."""

    if TYPE_CHECKING:
        kind: KeyKind
        value: str
        holder: UUID | None
        contested_by: tuple[str, ...]
        generic: bool

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
            index.contested_by = ()
            index.generic = False

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

    class Contested(Event):
        """A company unrelated to the holder entered this key and was refused on it (v1).

        ``company`` is that company's name core (legal form and region stripped).
        """

        company: str

        def apply(self, index: IdentityKeyIndex) -> None:
            index.contested_by = (*index.contested_by, self.company)

    class DeclaredGeneric(Event):
        """The key is shared by ``companies`` (unrelated) and stops being an identity (v1)."""

        key: str
        companies: list[str]
        threshold: int

        def apply(self, index: IdentityKeyIndex) -> None:
            index.generic = True

    @classmethod
    def first_claim(
        cls,
        key: IdentityKey,
        customer_id: UUID,
        context: EventContext,
        key_ids: KeyIds = PLAIN_KEY_IDS,
    ) -> IdentityKeyIndex:
        """Creates the index of a key nobody has held before, held by ``customer_id``;
        with a keyed ``key_ids`` its id and stored value are keyed hashes."""
        return cls._create(
            cls.Created,
            id=key_ids.index_id(key),
            kind=key.kind.value,
            value=key_ids.stored_value(key),
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

    def contest(
        self, key: IdentityKey, company: str, threshold: int, context: EventContext
    ) -> bool:
        """Records an unrelated company entering this key; True if that made it generic.

        ``company`` is a name core; the same company contesting twice counts once. The
        holder's own company is the first of the ``threshold`` companies. ``key`` is
        the key itself: the index may store only its keyed hash, and the views that stop
        matching on a generic key need its label.
        """
        if self.generic or company in self.contested_by:
            return False
        self.trigger_event(self.Contested, company=company, **context.fields())
        if len(self.contested_by) + 1 < threshold:
            return False
        self.trigger_event(
            self.DeclaredGeneric,
            key=key.label,
            companies=list(self.contested_by),
            threshold=threshold,
            **context.fields(),
        )
        return True


def indexes_among(
    found: Mapping[UUID, Aggregate | None],
    keys: Iterable[IdentityKey],
    key_ids: KeyIds = PLAIN_KEY_IDS,
) -> dict[IdentityKey, IdentityKeyIndex | None]:
    """Each key's index (None where never claimed), picked out of aggregates read by
    id - a read that may have fetched other aggregates in the same round trip."""
    indexes: dict[IdentityKey, IdentityKeyIndex | None] = {}
    for key in keys:
        index = found[key_ids.index_id(key)]
        assert index is None or isinstance(index, IdentityKeyIndex)
        indexes[key] = index
    return indexes
