"""The command API: one method per command, every aggregate it touches saved at once.

Exact identity keys stay unique under concurrency because a command saves the
customer together with one :class:`~crmcore.domain.IdentityKeyIndex` per key in a
single atomic ``save()``: a second writer of the same key fails the store's
optimistic-concurrency check, and its command is decided again - now as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar, runtime_checkable
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent

from crmcore.clock import Clock, SystemClock
from crmcore.commands import (
    AddIdentityKey,
    Command,
    CorrectContactDetails,
    RegisterCustomer,
    RemoveIdentityKey,
)
from crmcore.config import CrmConfig
from crmcore.domain import Customer, EventContext, IdentityKeyIndex
from crmcore.errors import (
    ConcurrencyConflict,
    CustomerNotFound,
    DuplicateCustomer,
    IdentityKeyNotHeld,
    ValidationFailed,
)
from crmcore.identity import IdentityKey
from crmcore.records import CustomerRecord, RegistrationResult

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

# Business time may lag recording time (a call logged tomorrow) but not lead it.
_MAX_CLOCK_SKEW = timedelta(minutes=5)


class CrmApplication(Application[UUID]):
    """crmcore's write side. Persistence comes from ``env`` (eventsourcing's settings).

    >>> from crmcore import CrmApplication, RegisterCustomer
    >>> app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    >>> cid = app.register_customer(RegisterCustomer(
    ...     actor="rep-1", company_name="北京某某科技有限公司", phone="138 0013 8000"))
    >>> app.get_customer(cid).phones
    ('+8613800138000',)
    """

    name = "crmcore"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        config: CrmConfig | None = None,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.config = config or CrmConfig()
        self._new_id = new_id
        super().__init__(dict(env) if env is not None else None)

    # -- registration ------------------------------------------------------------------

    def register_customer(self, command: RegisterCustomer) -> UUID:
        """Registers one customer in its own transaction; raises DuplicateCustomer."""
        (result,) = self.register_customers([command])
        if result.refusal is not None:
            raise result.refusal
        assert result.customer_id is not None
        return result.customer_id

    def register_customers(self, commands: Sequence[RegisterCustomer]) -> list[RegistrationResult]:
        """Registers many customers in one atomic save, deciding each command on its own.

        A command whose key is held - in the store or by an earlier command of the same
        batch - is reported as blocked; the others are created. If another process wins
        a key meanwhile, the whole batch is decided again from fresh reads.
        """
        if not commands:
            return []
        return self._with_retries(lambda: self._register_batch(commands))

    def _register_batch(self, commands: Sequence[RegisterCustomer]) -> list[RegistrationResult]:
        keys_of = [command.identity_keys() for command in commands]
        indexes = self._find_indexes([key for keys in keys_of for key in keys])
        results: list[RegistrationResult] = []
        to_save: list[Aggregate] = []
        for position, (command, keys) in enumerate(zip(commands, keys_of, strict=True)):
            context = self._context(command)
            refusal = self._first_held(keys, indexes)
            if refusal is not None:
                results.append(RegistrationResult(position, refusal=refusal))
                continue
            customer = Customer.register(
                self._new_id(),
                company_name=command.company_name,
                contact_name=command.contact_name,
                keys=keys,
                region=command.region,
                industry=command.industry,
                source=command.source,
                external_id=command.external_id,
                context=context,
            )
            to_save.append(customer)
            to_save.extend(self._claim(keys, customer.id, indexes, context))
            results.append(RegistrationResult(position, customer_id=customer.id))
        if to_save:
            self.save(*to_save)
        return results

    def _first_held(
        self, keys: Sequence[IdentityKey], indexes: dict[IdentityKey, IdentityKeyIndex | None]
    ) -> DuplicateCustomer | None:
        for key in keys:
            index = indexes[key]
            if index is not None and index.holder is not None:
                return DuplicateCustomer(existing_customer_id=index.holder, key=key.label)
        return None

    def _claim(
        self,
        keys: Sequence[IdentityKey],
        customer_id: UUID,
        indexes: dict[IdentityKey, IdentityKeyIndex | None],
        context: EventContext,
    ) -> Iterator[IdentityKeyIndex]:
        for key in keys:
            index = indexes.get(key)
            if index is None:
                index = IdentityKeyIndex.first_claim(key, customer_id, context)
                indexes[key] = index
            else:
                index.claim(customer_id, context)
            yield index

    # -- changes to a registered customer ----------------------------------------------

    def correct_contact_details(self, command: CorrectContactDetails) -> bool:
        """Applies the corrections; returns False when they change nothing."""

        def attempt() -> bool:
            customer = self._get_customer(command.customer_id)
            changed = customer.correct_details(command.corrections(), self._context(command))
            if changed:
                self.save(customer)
            return changed

        return self._with_retries(attempt)

    def add_identity_key(self, command: AddIdentityKey) -> None:
        """Gives the customer one more key; DuplicateCustomer if another holds it."""

        def attempt() -> None:
            customer = self._get_customer(command.customer_id)
            key = command.key
            if customer.holds(key):
                return
            context = self._context(command)
            indexes = self._find_indexes([key])
            refusal = self._first_held([key], indexes)
            if refusal is not None:
                raise refusal
            customer.add_identity_key(key, context)
            self.save(customer, *self._claim([key], customer.id, indexes, context))

        self._with_retries(attempt)

    def remove_identity_key(self, command: RemoveIdentityKey) -> None:
        """Takes a key from the customer and releases it for anyone to claim."""

        def attempt() -> None:
            customer = self._get_customer(command.customer_id)
            key = command.key
            if not customer.holds(key):
                raise IdentityKeyNotHeld(customer.id, key.label)
            index = self._find_index(key)
            if index is None:
                raise RuntimeError(f"{key.label} is held by {customer.id} but has no index")
            context = self._context(command)
            customer.remove_identity_key(key, context)
            index.release(customer.id, context)
            self.save(customer, index)

        self._with_retries(attempt)

    # -- queries -------------------------------------------------------------------------

    def get_customer(self, customer_id: UUID) -> CustomerRecord:
        """The customer as it stands now; CustomerNotFound if there is none."""
        return CustomerRecord.of(self._get_customer(customer_id))

    def find_customer_by_key(self, key: IdentityKey) -> CustomerRecord | None:
        """The customer holding an exact key now, if any (keys come from normalise_key)."""
        index = self._find_index(key)
        if index is None or index.holder is None:
            return None
        return self.get_customer(index.holder)

    # -- plumbing ------------------------------------------------------------------------

    def _context(self, command: Command) -> EventContext:
        now = self.clock.now()
        occurred_at = command.occurred_at or now
        if occurred_at > now + _MAX_CLOCK_SKEW:
            raise ValidationFailed("occurred_at", f"{occurred_at.isoformat()} is in the future")
        return EventContext(
            actor=command.actor, recorded_at=now, occurred_at=occurred_at, reason=command.reason
        )

    def _get_customer(self, customer_id: UUID) -> Customer:
        try:
            customer: object = self.repository.get(customer_id)
        except AggregateNotFoundError:
            raise CustomerNotFound(customer_id) from None
        if not isinstance(customer, Customer):
            raise CustomerNotFound(customer_id)
        return customer

    def _find_index(self, key: IdentityKey) -> IdentityKeyIndex | None:
        try:
            index: object = self.repository.get(key.index_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(index, IdentityKeyIndex)
        return index

    def _find_indexes(
        self, keys: Sequence[IdentityKey]
    ) -> dict[IdentityKey, IdentityKeyIndex | None]:
        """The index of each key (None where never claimed), in as few reads as possible."""
        if not isinstance(self.recorder, ReadsManyAggregates):
            return {key: self._find_index(key) for key in keys}
        by_id = {key.index_id: key for key in keys}
        stored = self.recorder.select_events_of_many(list(by_id))
        indexes: dict[IdentityKey, IdentityKeyIndex | None] = dict.fromkeys(keys)
        for index_id, events in stored.items():
            index: object = None
            for event in events:
                index = self.mapper.to_domain_event(event).mutate(index)  # type: ignore[attr-defined]
            assert isinstance(index, IdentityKeyIndex)
            indexes[by_id[index_id]] = index
        return indexes

    def _with_retries(self, attempt: Callable[[], T]) -> T:
        """Runs ``attempt`` again from fresh reads when another writer won a race."""
        attempts = self.config.registration.max_save_attempts
        for _ in range(attempts):
            try:
                return attempt()
            except IntegrityError:
                continue
        raise ConcurrencyConflict(
            f"other writers changed the same records {attempts} times in a row; try again"
        )
