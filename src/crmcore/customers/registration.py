"""Registering a batch of records: each one decided by the identity check, all saved at once.

Kept apart from :mod:`crmcore.application` because it is the one long flow there is:
the check's outcome (created, warned, merged, blocked) decides which events a record
leaves. Records decided earlier in the batch are filed in the checker's batch-local
index, so a batch also sees its own duplicates; the batch's candidates are fetched
together before the first record is decided (``IdentityChecker.begin_batch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.commands import RegisterCustomer
from crmcore.config import DedupMode, EntryPath
from crmcore.customers.keys import claim_keys, holders, is_free
from crmcore.domain import (
    CrossGroupCollisionFlagged,
    Customer,
    DuplicateAttempt,
    EventContext,
    IdentityKeyIndex,
)
from crmcore.domain.identity_index import indexes_among
from crmcore.domain.ownership import Ownership
from crmcore.domain.rep import Rep, rep_aggregate_id
from crmcore.errors import DuplicateCustomer
from crmcore.groups.trees import cross_group_collisions
from crmcore.identity import IdentityKey, KeyKind
from crmcore.identity.decide import IdentityDecision
from crmcore.identity.filing import merged_alias_id, record_profile
from crmcore.identity.profile import MatchProfile
from crmcore.ownership.owners import give
from crmcore.ownership.policies.claim_rules import taking_refusal
from crmcore.records import RegistrationResult

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


def register_batch(
    app: CustomerPorts,
    commands: Sequence[RegisterCustomer],
    entry_path: EntryPath,
    mode: DedupMode,
    *,
    registrant_owns: bool = True,
    then: Callable[[list[RegistrationResult], Mapping[UUID, Aggregate]], Iterable[Aggregate]]
    | None = None,
) -> list[RegistrationResult]:
    """One attempt at a batch; the caller retries it when another writer won a key.

    ``registrant_owns`` False leaves ownership to the caller (a conversion hands over the
    lead's); ``then`` returns more aggregates to save in the same atomic save, given the
    results and the aggregates the batch will save (a converted lead, the ownerships it
    hands over; the customer it became records the lead).
    """
    app.identity.catch_up()
    keys_of = [command.identity_keys() for command in commands]
    batch = _Batch(app, entry_path, mode, registrant_owns)
    batch.read_ahead([key for keys in keys_of for key in keys], {c.actor for c in commands})
    records = [command.record() for command in commands]
    profiles = [record_profile(record) for record in records]
    try:
        app.identity.begin_batch(profiles)
        results = [
            batch.enter(_Entry(n, command, keys, record, profile, app.context_of(command)))
            for n, (command, keys, record, profile) in enumerate(
                zip(commands, keys_of, records, profiles, strict=True)
            )
        ]
        if then is not None:
            batch.add(*then(results, batch.aggregates))
        if batch.aggregates:
            app.save(*batch.aggregates.values())
    finally:
        app.identity.end_batch()
    return results


@dataclass(frozen=True)
class _Entry:
    """One command of the batch with what is derived from it once: its record, its
    profile, and the who/when/why every event it leaves is stamped with."""

    position: int
    command: RegisterCustomer
    keys: tuple[IdentityKey, ...]
    record: dict[str, Any]
    profile: MatchProfile
    context: EventContext


class _Batch:
    """The aggregates one batch will save together."""

    def __init__(
        self, app: CustomerPorts, entry_path: EntryPath, mode: DedupMode, registrant_owns: bool
    ) -> None:
        self.app = app
        self.registrant_owns = registrant_owns and app.config.ownership.registrant_becomes_owner
        self.indexes: dict[IdentityKey, IdentityKeyIndex | None] = {}
        self.entry_path = entry_path
        self.mode = mode
        self.aggregates: dict[UUID, Aggregate] = {}
        self.reps: dict[str, Rep | None] = {}

    def read_ahead(self, keys: Sequence[IdentityKey], actors: set[str]) -> None:
        """Reads the key indexes of ``keys`` and - if registrants become owners - the
        actors' rep aggregates, in one read of the store (a single command paid a second
        round trip for its registrant)."""
        rep_ids = (
            {actor: rep_aggregate_id(actor) for actor in sorted(actors)}
            if self.registrant_owns
            else {}
        )
        key_ids = self.app.key_ids
        found = self.app.load_many([*(key_ids.index_id(key) for key in keys), *rep_ids.values()])
        self.indexes.update(indexes_among(found, keys, key_ids))
        for actor, rep_id in rep_ids.items():
            rep = found[rep_id]
            self.reps[actor] = rep if isinstance(rep, Rep) else None

    def enter(self, entry: _Entry) -> RegistrationResult:
        keys = entry.keys
        checker = self.app.identity
        decision = checker.check(entry.profile, holders(keys, self.indexes), self.mode)
        if self._contest(entry, decision):  # a key just became generic
            decision = checker.check(entry.profile, holders(keys, self.indexes), self.mode)
        if decision.outcome == "blocked":
            return self._block(entry, decision)
        if decision.outcome == "merged":
            return self._merge(entry, decision)
        return self._create(entry, decision)

    def _create(self, entry: _Entry, decision: IdentityDecision) -> RegistrationResult:
        command, context = entry.command, entry.context
        customer = new_customer(self.app.new_id(), command, entry.keys, context)
        if decision.outcome == "warned":
            assert decision.rule is not None
            customer.flag_possible_duplicate(
                entry_path=self.entry_path.value,
                rule=decision.rule,
                rule_set_version=decision.rule_set_version,
                candidates=[m.to_dict() for m in decision.matches if m.rule is not None],
                context=context,
            )
        collisions = cross_group_collisions(
            self.app, entry.profile, decision.matches, command.actor
        )
        for collision in collisions:
            customer.trigger_event(
                CrossGroupCollisionFlagged,
                group_id=collision.group_id,
                root_id=collision.root_id,
                members=list(collision.members),
                **context.fields(),
            )
        claimed = claim_keys(entry.keys, customer.id, self.indexes, context, self.app.key_ids)
        self.add(customer, *claimed, *self._registrant_owns(customer.id, command.actor, context))
        self._file(customer.id, customer.id, entry.profile)
        return RegistrationResult(
            entry.position, decision, customer.id, group_collisions=tuple(collisions)
        )

    def _registrant_owns(
        self, customer_id: UUID, actor: str, context: EventContext
    ) -> tuple[Aggregate, ...]:
        """The ownership giving the customer to the rep who entered it (and that rep),
        if they are an active rep with room; nothing for other actors (an import job)."""
        if not self.registrant_owns:
            return ()
        if actor not in self.reps:
            found = self.app.load(rep_aggregate_id(actor))
            self.reps[actor] = found if isinstance(found, Rep) else None
        rep = self.reps[actor]
        if rep is None or taking_refusal(rep):
            return ()
        sla = self.app.config.ownership.response_sla_hours
        ownership, _ = give(
            self.app,
            None,
            customer_id,
            rep,
            Ownership.Assigned,
            context,
            respond_hours=sla,
            how="assigned",
            rule="registrant",
        )
        return ownership, rep

    def _block(self, entry: _Entry, decision: IdentityDecision) -> RegistrationResult:
        assert decision.target is not None
        assert decision.rule is not None
        attempt = DuplicateAttempt.blocked(
            self.app.new_id(),
            existing_customer_id=decision.target,
            entry_path=self.entry_path.value,
            record=entry.record,
            rule=decision.rule,
            rule_set_version=decision.rule_set_version,
            matches=[m.to_dict() for m in decision.matches],
            context=entry.context,
        )
        self.add(attempt)
        self._file(attempt.id, decision.target, entry.profile)
        best, *others = decision.matches
        refusal = DuplicateCustomer(
            decision.target,
            best.shared_keys[0] if best.shared_keys else None,
            rule=decision.rule,
            explanation=decision.to_dict(),
            other_holders={
                match.customer_id: match.shared_keys
                for match in others
                if match.customer_id in decision.holders
            },
        )
        return RegistrationResult(entry.position, decision, decision.target, refusal)

    def _merge(self, entry: _Entry, decision: IdentityDecision) -> RegistrationResult:
        assert decision.target is not None
        assert decision.rule is not None
        context = entry.context
        customer = self.customer(decision.target) or self.app.live_customer(decision.target)
        customer.merge_record(
            entry.record,
            entry_path=self.entry_path.value,
            rule=decision.rule,
            rule_set_version=decision.rule_set_version,
            score=decision.matches[0].score,
            context=context,
        )
        alias = merged_alias_id(customer.id, customer.version)
        free = [k for k in entry.keys if not customer.holds(k) and is_free(self.indexes.get(k))]
        for key in free:  # generic keys count as free: listed, never claimed
            customer.add_identity_key(key, context)
        self.add(customer, *claim_keys(free, customer.id, self.indexes, context, self.app.key_ids))
        self._file(alias, customer.id, entry.profile)
        return RegistrationResult(entry.position, decision, customer.id)

    def _contest(self, entry: _Entry, decision: IdentityDecision) -> bool:
        """Counts an unrelated company entering a customer's phone or e-mail.

        Only when the shared phone/e-mail is the sole evidence: both records name a
        company and the names do not resemble each other. Returns True when that made
        a key generic, so the record is decided again without it.
        """
        company = entry.profile.company
        if decision.outcome not in ("blocked", "merged") or company is None:
            return False
        best = decision.matches[0]
        config = self.app.config.identity
        if (
            not best.shared_keys
            or best.features.get("company", 1.0) >= config.unrelated_company_below
            or best.features.get("contact", 0.0) >= 0.9
        ):
            return False
        shared = [IdentityKey.from_label(label) for label in best.shared_keys]
        if any(key.kind not in GENERIC_KINDS for key in shared):
            return False  # a credit code or WeChat id shared is the same customer
        became_generic = False
        for key in shared:
            index = self.indexes.get(key)
            if index is None or index.holder != best.customer_id:
                continue
            if index.contest(key, company.core, config.generic_key_after, entry.context):
                self.app.identity.declare_generic(key)
                became_generic = True
            self.add(index)
        return became_generic

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.aggregates[aggregate.id] = aggregate

    def customer(self, customer_id: UUID) -> Customer | None:
        found = self.aggregates.get(customer_id)
        return found if isinstance(found, Customer) else None

    def _file(self, entry_id: UUID, customer_id: UUID, profile: MatchProfile) -> None:
        self.app.identity.file_provisionally(entry_id, customer_id, profile)


# Kinds of key that may turn out to be shared by unrelated companies. A credit code is
# unique by law, a WeChat id and a source-system id by construction.
GENERIC_KINDS = frozenset({KeyKind.PHONE, KeyKind.EMAIL})


def new_customer(
    customer_id: UUID,
    command: RegisterCustomer,
    keys: tuple[IdentityKey, ...],
    context: EventContext,
) -> Customer:
    """The customer a registration creates once it is decided to be new (the benchmarks
    that build large books without running commands use it too)."""
    return Customer.register(
        customer_id,
        company_name=command.company_name,
        contact_name=command.contact_name,
        keys=keys,
        region=command.region,
        industry=command.industry,
        source=command.source,
        external_id=command.external_id,
        context=context,
    )
