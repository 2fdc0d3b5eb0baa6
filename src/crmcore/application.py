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
from crmcore.config import CrmConfig, DedupMode, EntryPath
from crmcore.domain import Customer, DuplicateAttempt, EventContext, IdentityKeyIndex
from crmcore.errors import (
    ConcurrencyConflict,
    CustomerNotFound,
    DuplicateCustomer,
    IdentityKeyNotHeld,
    ValidationFailed,
)
from crmcore.identity import IdentityKey
from crmcore.identity.profile import MatchProfile
from crmcore.identity_check import IdentityChecker, merged_alias_id, record_profile
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
        self.identity = IdentityChecker(self.config.identity)
        self._new_id = new_id
        super().__init__(dict(env) if env is not None else None)

    # -- registration ------------------------------------------------------------------

    def register_customer(
        self, command: RegisterCustomer, *, entry_path: EntryPath = EntryPath.REGISTER
    ) -> UUID:
        """Registers one customer; raises DuplicateCustomer when the check blocks it.

        Returns the new customer's id, or - when the entry path's mode is merge - the id
        of the customer the record was attached to.
        """
        (result,) = self.register_customers([command], entry_path=entry_path)
        if result.refusal is not None:
            raise result.refusal
        return result.customer_id

    def register_customers(
        self,
        commands: Sequence[RegisterCustomer],
        *,
        entry_path: EntryPath = EntryPath.REGISTER,
        mode: DedupMode | None = None,
    ) -> list[RegistrationResult]:
        """Registers many customers in one atomic save, deciding each command on its own.

        Every command goes through the identity check (exact keys, then the fuzzy
        rules) against the store and against the commands before it in the batch. If
        another process wins a key meanwhile, the whole batch is decided again.
        """
        if not commands:
            return []
        chosen = mode or self.config.identity.mode_for(entry_path)
        return self._with_retries(lambda: self._register_batch(commands, entry_path, chosen))

    def _register_batch(
        self, commands: Sequence[RegisterCustomer], entry_path: EntryPath, mode: DedupMode
    ) -> list[RegistrationResult]:
        self.identity.catch_up(self)
        keys_of = [command.identity_keys() for command in commands]
        indexes = self._find_indexes([key for keys in keys_of for key in keys])
        batch = _Batch()
        try:
            results = [
                self._enter(position, command, keys, indexes, entry_path, mode, batch)
                for position, (command, keys) in enumerate(zip(commands, keys_of, strict=True))
            ]
            if batch.aggregates:
                self.save(*batch.aggregates.values())
        except BaseException:
            self.identity.forget_provisional(batch.provisional)
            raise
        return results

    def _enter(
        self,
        position: int,
        command: RegisterCustomer,
        keys: tuple[IdentityKey, ...],
        indexes: dict[IdentityKey, IdentityKeyIndex | None],
        entry_path: EntryPath,
        mode: DedupMode,
        batch: _Batch,
    ) -> RegistrationResult:
        context = self._context(command)
        record = command.record()
        profile = record_profile(record)
        decision = self.identity.check(profile, _holders(keys, indexes), mode)
        version = decision.rule_set_version
        if decision.outcome == "blocked":
            assert decision.target is not None
            assert decision.rule is not None
            attempt = DuplicateAttempt.blocked(
                self._new_id(),
                existing_customer_id=decision.target,
                entry_path=entry_path.value,
                record=record,
                rule=decision.rule,
                rule_set_version=version,
                matches=[m.to_dict() for m in decision.matches],
                context=context,
            )
            batch.add(attempt)
            batch.file(self.identity, attempt.id, decision.target, profile)
            best = decision.matches[0]
            refusal = DuplicateCustomer(
                decision.target,
                best.shared_keys[0] if best.shared_keys else None,
                rule=decision.rule,
                explanation=decision.to_dict(),
            )
            return RegistrationResult(position, decision, decision.target, refusal)
        if decision.outcome == "merged":
            assert decision.target is not None
            assert decision.rule is not None
            customer = batch.customer(decision.target) or self._get_customer(decision.target)
            customer.merge_record(
                record,
                entry_path=entry_path.value,
                rule=decision.rule,
                rule_set_version=version,
                score=decision.matches[0].score,
                context=context,
            )
            alias = merged_alias_id(customer.id, customer.version)
            free = [k for k in keys if not customer.holds(k) and _is_free(indexes.get(k))]
            for key in free:
                customer.add_identity_key(key, context)
            batch.add(customer, *self._claim(free, customer.id, indexes, context))
            batch.file(self.identity, alias, customer.id, profile)
            return RegistrationResult(position, decision, customer.id)
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
        if decision.outcome == "warned":
            assert decision.rule is not None
            customer.flag_possible_duplicate(
                entry_path=entry_path.value,
                rule=decision.rule,
                rule_set_version=version,
                candidates=[m.to_dict() for m in decision.matches if m.rule is not None],
                context=context,
            )
        batch.add(customer, *self._claim(keys, customer.id, indexes, context))
        batch.file(self.identity, customer.id, customer.id, profile)
        return RegistrationResult(position, decision, customer.id)

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
            holders = _holders([key], indexes)
            if holders:
                raise DuplicateCustomer(next(iter(holders)), key.label)
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


class _Batch:
    """The aggregates one batch will save together, and what it filed provisionally."""

    def __init__(self) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}
        self.provisional: list[UUID] = []

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.aggregates[aggregate.id] = aggregate

    def customer(self, customer_id: UUID) -> Customer | None:
        found = self.aggregates.get(customer_id)
        return found if isinstance(found, Customer) else None

    def file(
        self, checker: IdentityChecker, entry_id: UUID, customer_id: UUID, profile: MatchProfile
    ) -> None:
        checker.file_provisionally(entry_id, customer_id, profile)
        self.provisional.append(entry_id)


def _is_free(index: IdentityKeyIndex | None) -> bool:
    return index is None or index.holder is None


def _holders(
    keys: Sequence[IdentityKey], indexes: Mapping[IdentityKey, IdentityKeyIndex | None]
) -> dict[UUID, list[str]]:
    """Customer -> the keys of ``keys`` it holds now (the race-free answer)."""
    held: dict[UUID, list[str]] = {}
    for key in keys:
        index = indexes.get(key)
        if index is not None and index.holder is not None:
            held.setdefault(index.holder, []).append(key.label)
    return held
