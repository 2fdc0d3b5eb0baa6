"""The unit of work every command handler is given: load aggregates, stamp events, save.

:class:`CrmStore` is eventsourcing's ``Application`` with what crmcore's handlers need
of it and nothing about any one command: loading aggregates (many in one read when the
recorder can), resolving a merged customer to its survivor, the who/when/why of a
command's events from the injected clock, new ids, and running an attempt again when
another writer won a race. Handlers see it through the narrow protocols of
``crmcore.ownership.ports`` and ``crmcore.customers.ports``; the public
:class:`~crmcore.application.CrmApplication` is a facade on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate, BaseAggregate
from eventsourcing.persistence import IntegrityError, Recording, StoredEvent

from crmcore.clock import MAX_CLOCK_SKEW, Clock, SystemClock
from crmcore.commands import Command
from crmcore.config import CrmConfig
from crmcore.domain import CrmEvent, Customer, EventContext, IdentityKeyIndex
from crmcore.domain.identity_index import indexes_among
from crmcore.domain.ownership import ownership_id
from crmcore.errors import ConcurrencyConflict, CustomerNotFound, RaceLost, ValidationFailed
from crmcore.identity import IdentityKey
from crmcore.identity.keys import PLAIN_KEY_IDS, KeyIds
from crmcore.personal_data import PersonalDataProtection, ProtectedApplication

T = TypeVar("T")


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


class _Collected(ProcessingEvent[UUID]):
    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:  # an event, or what eventsourcing itself may judge
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class CrmStore(ProtectedApplication):
    """Aggregates by id, the clock, the rules and retries (see the module docstring)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        config: CrmConfig | None = None,
        new_id: Callable[[], UUID] = uuid4,
        protection: PersonalDataProtection | None = None,
    ) -> None:
        """``protection`` encrypts personal data at rest (``adapters.pii``); without it
        events are stored as they are."""
        self.clock: Clock = clock or SystemClock()
        self.config = config or CrmConfig()
        self._new_id = new_id
        self.protection = protection
        super().__init__(dict(env) if env is not None else None)
        # Known once the protection is attached to the recorder (Application.__init__).
        self.key_ids: KeyIds = protection.key_ids if protection is not None else PLAIN_KEY_IDS

    def new_id(self) -> UUID:
        return self._new_id()

    def context_of(self, command: Command) -> EventContext:
        """Who, when and why for the events of ``command``; ValidationFailed if it is in
        the future beyond the allowed clock skew, or further back than the back-dating
        window (``[audit] backdate_window_days``)."""
        now = self.clock.now()
        occurred_at = command.occurred_at or now
        if occurred_at > now + MAX_CLOCK_SKEW:
            raise ValidationFailed("occurred_at", f"{occurred_at.isoformat()} is in the future")
        window = self.config.audit.backdate_window_days
        if occurred_at < now - timedelta(days=window):
            raise ValidationFailed(
                "occurred_at",
                f"{occurred_at.isoformat()} is more than {window:g} days before now; entries "
                "may be back-dated only within [audit] backdate_window_days",
            )
        return EventContext(
            actor=command.actor,
            recorded_at=now,
            occurred_at=occurred_at,
            reason=command.reason,
            stated=command.occurred_at is not None,
        )

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """eventsourcing 9.5's ``save``, collecting pending events without its
        ``runtime_checkable`` protocol checks: ``isinstance`` against a protocol walks
        every attribute it names, twice for each aggregate saved - 6% of a registration
        (cProfile, 2,000 commands). Aggregates and events are told apart by class."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # eventsourcing's deprecated hook, kept
        return recordings

    def with_retries(self, attempt: Callable[[], T]) -> T:
        """Runs ``attempt`` again from fresh reads when another writer won a race."""
        attempts = self.config.registration.max_save_attempts
        for _ in range(attempts):
            try:
                return attempt()
            except (IntegrityError, RaceLost):
                continue
        raise ConcurrencyConflict(
            f"other writers changed the same records {attempts} times in a row; try again"
        )

    # -- customers --------------------------------------------------------------------

    def stored_customer(self, customer_id: UUID) -> Customer:
        """The aggregate with this id exactly, tombstone or not."""
        customer = self.load(customer_id)
        if not isinstance(customer, Customer):
            raise CustomerNotFound(customer_id)
        return customer

    def live_customer(self, customer_id: UUID) -> Customer:
        """The customer a command addressed to ``customer_id`` acts on: a tombstone is
        followed to its survivor."""
        seen = {customer_id}
        customer = self.stored_customer(customer_id)
        while customer.merged_into is not None:
            if customer.merged_into in seen:  # impossible by construction; never loop
                raise CustomerNotFound(customer_id)
            seen.add(customer.merged_into)
            customer = self.stored_customer(customer.merged_into)
        return customer

    def customer_events(self, customer_id: UUID) -> list[CrmEvent]:
        """Every event of the customer, of its ownership, and of each customer merged into
        it, in order.

        Merging deletes nothing: this is how the absorbed customers' history stays
        one read away from the survivor.
        """
        pending = [self.live_customer(customer_id)]
        events: list[CrmEvent] = []
        while pending:
            customer = pending.pop()
            for aggregate_id in (customer.id, ownership_id(customer.id)):
                events.extend(self.history(aggregate_id))
            pending.extend(self.stored_customer(cid) for cid in customer.absorptions)
        events.sort(key=lambda e: (e.timestamp, str(e.originator_id), e.originator_version))
        return events

    def history(self, aggregate_id: UUID) -> list[CrmEvent]:
        """Every event of one aggregate, oldest first (one customer's ownership: tens of
        events, never the book's)."""
        events = []
        for event in self.repository.event_store.get(aggregate_id):
            assert isinstance(event, CrmEvent)
            events.append(event)
        return events

    # -- identity key indexes ---------------------------------------------------------

    def find_index(self, key: IdentityKey) -> IdentityKeyIndex | None:
        index = self.load(self.key_ids.index_id(key))
        assert index is None or isinstance(index, IdentityKeyIndex)
        return index

    def find_indexes(
        self, keys: Sequence[IdentityKey]
    ) -> dict[IdentityKey, IdentityKeyIndex | None]:
        """The index of each key (None where never claimed), in as few reads as possible."""
        ids = self.key_ids
        return indexes_among(self.load_many([ids.index_id(key) for key in keys]), keys, ids)

    # -- any aggregate ----------------------------------------------------------------

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
