"""Reading aggregates for the application: one at a time, or many in one read.

A mixin of :class:`~crmcore.application.CrmApplication`, kept apart so the command
API stays one page: every command loads what it decides on through these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from crmcore.domain import Customer, IdentityKeyIndex
from crmcore.errors import CustomerNotFound
from crmcore.identity import IdentityKey


@runtime_checkable
class ReadsManyAggregates(Protocol):
    """A recorder that returns the stored events of many aggregates in one read.

    Optional: with a recorder that has it (``adapters.persistence``), a batch reads all
    its key indexes at once; without it, one repository read per key gives the same
    answer more slowly.
    """

    def select_events_of_many(
        self, originator_ids: Sequence[UUID]
    ) -> dict[UUID, list[StoredEvent]]: ...


class AggregateReads(Application[UUID]):
    """Loading aggregates by id, in as few reads as the recorder allows."""

    def stored_customer(self, customer_id: UUID) -> Customer:
        """The aggregate with this id exactly, tombstone or not."""
        customer = self.load(customer_id)
        if not isinstance(customer, Customer):
            raise CustomerNotFound(customer_id)
        return customer

    def find_index(self, key: IdentityKey) -> IdentityKeyIndex | None:
        index = self.load(key.index_id)
        assert index is None or isinstance(index, IdentityKeyIndex)
        return index

    def find_indexes(
        self, keys: Sequence[IdentityKey]
    ) -> dict[IdentityKey, IdentityKeyIndex | None]:
        """The index of each key (None where never claimed), in as few reads as possible."""
        found = self.load_many([key.index_id for key in keys])
        indexes: dict[IdentityKey, IdentityKeyIndex | None] = {}
        for key in keys:
            index = found[key.index_id]
            assert index is None or isinstance(index, IdentityKeyIndex)
            indexes[key] = index
        return indexes

    def load_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Aggregate | None]:
        """Each aggregate as it stands now (None where none exists), in one read when the
        recorder can (``ReadsManyAggregates``), else one repository read per id."""
        if not isinstance(self.recorder, ReadsManyAggregates):
            return {aid: self.load(aid) for aid in aggregate_ids}
        found: dict[UUID, Aggregate | None] = dict.fromkeys(aggregate_ids)
        for aggregate_id, events in self.recorder.select_events_of_many(list(found)).items():
            aggregate: Any = None
            for event in events:
                aggregate = self.mapper.to_domain_event(event).mutate(aggregate)  # type: ignore[attr-defined]
            found[aggregate_id] = aggregate
        return found

    def load(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as it stands now, or None if there is none."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate
