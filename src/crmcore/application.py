"""The command API: one method per command, every aggregate it touches saved at once.

Exact identity keys stay unique under concurrency because a command saves the
customer together with one :class:`~crmcore.domain.IdentityKeyIndex` per key in a
single atomic ``save()``: a second writer of the same key fails the store's
optimistic-concurrency check, and its command is decided again - now as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from crmcore.clock import Clock, SystemClock
from crmcore.commands import (
    AddIdentityKey,
    Command,
    CorrectContactDetails,
    LinkCustomer,
    MergeCustomers,
    RegisterCustomer,
    RemoveIdentityKey,
    SplitCustomer,
    UnlinkCustomer,
)
from crmcore.config import CrmConfig, DedupMode, EntryPath
from crmcore.customers import merging
from crmcore.customers.registration import holders, register_batch
from crmcore.disclosure import Viewer, disclose_refusal
from crmcore.domain import CrmEvent, Customer, EventContext, IdentityKeyIndex
from crmcore.domain.ownership import ownership_id
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateCustomer,
    IdentityKeyNotHeld,
    ValidationFailed,
)
from crmcore.groups import trees
from crmcore.identity import IdentityKey
from crmcore.identity.candidates import CandidateSource
from crmcore.identity.check import IdentityChecker
from crmcore.identity.memory_index import MemoryIndex
from crmcore.ownership.api import SalesCommands
from crmcore.ownership.policies.assignment import AssignmentPolicy
from crmcore.ownership.queries import FoldedSales, SalesQueries
from crmcore.records import CustomerRecord, RegistrationResult

T = TypeVar("T")


# Business time may lag recording time (a call logged tomorrow) but not lead it.
_MAX_CLOCK_SKEW = timedelta(minutes=5)


class CrmApplication(SalesCommands):
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
        assignment: AssignmentPolicy | None = None,
        candidates: Callable[[CrmApplication], CandidateSource] | None = None,
        sales: Callable[[CrmApplication], SalesQueries] | None = None,
    ) -> None:
        """``candidates`` makes the identity check's candidate source for this
        application, ``sales`` what ownership commands ask of reps and ownerships; by
        default both fold the log into memory, which suits the in-memory store. The
        composition root (``adapters.bootstrap``) passes the persisted views for SQLite
        and PostgreSQL."""
        self.clock: Clock = clock or SystemClock()
        self.config = config or CrmConfig()
        self._new_id = new_id
        self._init_sales(assignment)
        super().__init__(dict(env) if env is not None else None)
        source = candidates(self) if candidates is not None else self._memory_index()
        self.identity = IdentityChecker(self.config.identity, source)
        self._sales: SalesQueries = sales(self) if sales is not None else FoldedSales(self)

    def _memory_index(self) -> CandidateSource:
        identity = self.config.identity
        return MemoryIndex(identity.max_block_size, identity.group_brand_chars, self)

    def close(self) -> None:
        """Closes the candidate source and the sales queries, then the store."""
        self.identity.close()
        self._sales.close()
        super().close()

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
        return self._with_retries(lambda: register_batch(self, commands, entry_path, chosen))

    def claim_keys(
        self,
        keys: Sequence[IdentityKey],
        customer_id: UUID,
        indexes: dict[IdentityKey, IdentityKeyIndex | None],
        context: EventContext,
    ) -> Iterator[IdentityKeyIndex]:
        """The index of each key, claimed for ``customer_id`` (the caller saw them free).

        A generic key is nobody's to claim: the customer lists it, the index is untouched.
        """
        for key in keys:
            index = indexes.get(key)
            if index is not None and index.generic:
                continue
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
            customer = self.live_customer(command.customer_id)
            self.guard_sales_data(customer.id, command, "correct_contact_details")
            changed = customer.correct_details(command.corrections(), self.context_of(command))
            if changed:
                self.save(customer)
            return changed

        return self._with_retries(attempt)

    def add_identity_key(self, command: AddIdentityKey) -> None:
        """Gives the customer one more key; DuplicateCustomer if another holds it."""

        def attempt() -> None:
            customer = self.live_customer(command.customer_id)
            self.guard_sales_data(customer.id, command, "add_identity_key")
            key = command.key
            if customer.holds(key):
                return
            context = self.context_of(command)
            indexes = self.find_indexes([key])
            held_by = holders([key], indexes)
            if held_by:
                raise DuplicateCustomer(next(iter(held_by)), key.label)
            customer.add_identity_key(key, context)
            self.save(customer, *self.claim_keys([key], customer.id, indexes, context))

        self._with_retries(attempt)

    def remove_identity_key(self, command: RemoveIdentityKey) -> None:
        """Takes a key from the customer and releases it for anyone to claim."""

        def attempt() -> None:
            customer = self.live_customer(command.customer_id)
            self.guard_sales_data(customer.id, command, "remove_identity_key")
            key = command.key
            if not customer.holds(key):
                raise IdentityKeyNotHeld(customer.id, key.label)
            index = self.find_index(key)
            if index is None:
                raise RuntimeError(f"{key.label} is held by {customer.id} but has no index")
            context = self.context_of(command)
            customer.remove_identity_key(key, context)
            if index.holder != customer.id:  # a generic key: listed by many, held by none
                self.save(customer)
                return
            index.release(customer.id, context)
            self.save(customer, index)

        self._with_retries(attempt)

    # -- merging -------------------------------------------------------------------------

    def merge_customers(self, command: MergeCustomers) -> UUID:
        """Merges ``absorbed_id`` into ``survivor_id``; returns the survivor's id.

        Either id may name a tombstone: it stands for its survivor. The absorbed
        customer's keys move to the survivor, which also fills the details it lacked;
        the absorbed customer stays as a tombstone. MergeRefused if both ids lead to
        one customer.
        """
        return self._with_retries(lambda: merging.merge(self, command))

    def split_customer(self, command: SplitCustomer) -> UUID:
        """Undoes the merge of ``tombstone_id``; returns its id, a live customer again."""
        return self._with_retries(lambda: merging.split(self, command))

    # -- group trees ---------------------------------------------------------------------

    def link_customer(self, command: LinkCustomer) -> UUID:
        """Hangs the child (and all below it) below the parent; returns the group's id.

        GroupRefused (``has_parent``, ``cycle``) if the tree would break.
        """
        return self._with_retries(lambda: trees.link(self, command))

    def unlink_customer(self, command: UnlinkCustomer) -> UUID | None:
        """Takes the customer and all below it out of its group; returns the group they
        now form, or None if the customer had nothing below it."""
        return self._with_retries(lambda: trees.unlink(self, command))

    def group_of(self, customer_id: UUID) -> trees.GroupView | None:
        """The group tree the customer is in, or None."""
        return trees.group_of(self, customer_id)

    def group_history(self, customer_id: UUID) -> list[CrmEvent]:
        """The history of every member of the customer's group, in one timeline."""
        return trees.group_history(self, customer_id)

    # -- queries -------------------------------------------------------------------------

    def get_customer(self, customer_id: UUID, *, follow_merges: bool = True) -> CustomerRecord:
        """The customer as it stands now; CustomerNotFound if there is none.

        An id of a merged customer answers with its survivor, unless ``follow_merges``
        is False (then the tombstone itself, whose ``merged_into`` names the survivor).
        """
        if follow_merges:
            return CustomerRecord.of(self.live_customer(customer_id))
        return CustomerRecord.of(self.stored_customer(customer_id))

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
                for event in self.repository.event_store.get(aggregate_id):
                    assert isinstance(event, CrmEvent)
                    events.append(event)
            pending.extend(self.stored_customer(cid) for cid in customer.absorptions)
        events.sort(key=lambda e: (e.timestamp, str(e.originator_id), e.originator_version))
        return events

    def register_customer_as(self, command: RegisterCustomer, viewer: Viewer) -> RegistrationResult:
        """``register_customer`` for a person: a refusal says only what ``viewer`` may see.

        The check still runs against every customer (permissions never blind it).
        Returns the result, warnings (possible duplicates, cross-group collisions)
        included, for the caller to show.
        """
        (result,) = self.register_customers([command])
        if result.refusal is not None:
            raise disclose_refusal(result.refusal, viewer, self.owner_of)
        return result

    def find_customer_by_key(self, key: IdentityKey) -> CustomerRecord | None:
        """The customer holding an exact key now, if any (keys come from normalise_key).

        None for a generic key: many customers list it, none is identified by it.
        """
        index = self.find_index(key)
        if index is None or index.holder is None or index.generic:
            return None
        return self.get_customer(index.holder)

    # -- plumbing shared with crmcore.customers (registration, merging) ---------------

    def new_id(self) -> UUID:
        return self._new_id()

    def context_of(self, command: Command) -> EventContext:
        """Who, when and why for the events of ``command``; ValidationFailed if it is in
        the future beyond the allowed clock skew."""
        now = self.clock.now()
        occurred_at = command.occurred_at or now
        if occurred_at > now + _MAX_CLOCK_SKEW:
            raise ValidationFailed("occurred_at", f"{occurred_at.isoformat()} is in the future")
        return EventContext(
            actor=command.actor, recorded_at=now, occurred_at=occurred_at, reason=command.reason
        )

    def live_customer(self, customer_id: UUID) -> Customer:
        """The customer a command addressed to ``customer_id`` acts on (tombstones resolve)."""
        return merging.resolve(self, customer_id)

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
