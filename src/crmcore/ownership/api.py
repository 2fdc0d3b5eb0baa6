"""The ownership half of the command API: reps, assign, claim, release, transfer,
follow-ups, the sweeper, the pool and who owns what.

The ownership layer of :class:`~crmcore.application.CrmApplication`, on top of the
unit of work (:class:`~crmcore.store.CrmStore`); each method hands a command to its
handler in ``owners``, ``work``, ``reps`` or ``sweeper``. Every refusal of an
ownership command is recorded as a :class:`~crmcore.domain.Collision` (its own
aggregate, so recording never conflicts with the winner) before it is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError

from crmcore.clock import as_utc
from crmcore.domain.base import EventContext
from crmcore.domain.collision import Collision
from crmcore.domain.ownership import Ownership, ownership_id
from crmcore.domain.rep import Rep, rep_aggregate_id
from crmcore.domain.rule_set import PIPELINE_RULE_SET_ID, RULE_SET_ID, RuleSet
from crmcore.errors import OwnershipRefused, RepNotFound, ValidationFailed
from crmcore.opportunities.stale import alert_batch
from crmcore.ownership import owners, reps, sweeper, work
from crmcore.ownership.commands import (
    AddRep,
    AssignCustomer,
    ClaimCustomer,
    NoteOpportunity,
    RecordFollowUp,
    ReleaseCustomer,
    RepLeaves,
    SetCollaborators,
    TransferCustomer,
)
from crmcore.ownership.folded_view import PoolEntry
from crmcore.ownership.policies.assignment import AssignmentPolicy, RuleBasedAssignment
from crmcore.ownership.queries import SalesQueries
from crmcore.records import OwnershipRecord
from crmcore.store import CrmStore

if TYPE_CHECKING:
    from crmcore.commands import Command
    from crmcore.identity.check import IdentityChecker

T = TypeVar("T")
_MAX_SWEEP_SKEW = timedelta(minutes=5)


class SalesCommands(CrmStore):
    """Ownership commands and queries (see the module docstring)."""

    # A rep's book takes an event per customer won or lost, and every capture, assignment
    # and registration by a rep loads the rep: folding up to 49 events since a snapshot
    # cost ~3 ms (eventsourcing checks protocols per event); a rep's snapshot is a few
    # counters, so one every 10 events (bench_leads: 114 -> 130 captures/s).
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[UUID]], int]] = {Rep: 10}

    if TYPE_CHECKING:
        identity: IdentityChecker  # the facade makes it: a claim runs the identity check
        _sales: SalesQueries

    def _init_sales(self, assignment: AssignmentPolicy | None) -> None:
        self.assignment: AssignmentPolicy = assignment or RuleBasedAssignment(
            self.config.ownership.assignment
        )
        self._adopted_rule_sets: dict[UUID, str] = {}

    # -- the sales organisation ------------------------------------------------------

    def add_rep(self, command: AddRep) -> tuple[reps.RepRecord, str]:
        """Adds a rep, or replaces the profile of one already added; (rep, added |
        updated | unchanged)."""
        return self.with_retries(lambda: reps.add_rep(self, command))

    def get_rep(self, rep_id: str) -> reps.RepRecord:
        rep = self.load(rep_aggregate_id(rep_id))
        if not isinstance(rep, Rep):
            raise RepNotFound(rep_id)
        return reps.RepRecord.of(rep)

    def rep_leaves(self, command: RepLeaves) -> list[tuple[UUID, str]]:
        """Hands every customer of the leaving rep over, most important first, then marks
        the rep as gone; returns (customer, transferred|released). Resumable: run again
        after an interruption, it continues where it stopped."""
        context = self.context_of(command)
        self.with_retries(lambda: reps.start_leaving(self, command, context))
        moved: list[tuple[UUID, str]] = []
        size = self.config.ownership.sweep_batch_size
        for _ in range(self.config.registration.max_save_attempts):
            remaining = self.sales_view().customers_of(command.rep_id)
            for start in range(0, len(remaining), size):
                batch = remaining[start : start + size]
                moved.extend(
                    self.with_retries(
                        partial(reps.hand_over_batch, self, command.rep_id, batch, context)
                    )
                )
            if self.with_retries(lambda: reps.finish_leaving(self, command.rep_id, context)):
                return moved
        raise OwnershipRefused(
            "handover_in_progress",
            f"{command.rep_id} kept gaining customers during the handover; run it again",
        )

    # -- ownership commands -------------------------------------------------------------

    def assign_customer(self, command: AssignCustomer) -> owners.OwnerChange:
        """Gives an unowned customer to ``command.rep``, or to the rep the rules pick."""
        return self._recording_refusals(
            command, "assign", command.rep or "", lambda: owners.assign(self, command)
        )

    def claim_customer(self, command: ClaimCustomer) -> owners.OwnerChange:
        """``command.rep`` claims the customer from the pool, if every claim rule allows."""
        return self._recording_refusals(
            command, "claim", command.rep, lambda: owners.claim(self, command)
        )

    def release_customer(self, command: ReleaseCustomer) -> str:
        """Sends the customer to the pool; returns the rep who owned it."""
        return self._recording_refusals(
            command, "release", command.rep, lambda: owners.release(self, command)
        )

    def transfer_customer(self, command: TransferCustomer) -> owners.OwnerChange:
        return self._recording_refusals(
            command, "transfer", command.by, lambda: owners.transfer(self, command)
        )

    def record_follow_up(self, command: RecordFollowUp) -> work.FollowUpResult:
        return self._recording_refusals(
            command, "follow_up", command.rep, lambda: work.follow_up(self, command)
        )

    def set_collaborators(self, command: SetCollaborators) -> dict[str, float]:
        return self._recording_refusals(
            command,
            "set_collaborators",
            command.by,
            lambda: work.set_collaborators(self, command),
        )

    def note_opportunity(self, command: NoteOpportunity) -> None:
        self._recording_refusals(
            command,
            "note_opportunity",
            command.rep,
            lambda: work.note_opportunity(self, command),
        )

    def guard_sales_data(self, customer_id: UUID, command: Command, attempted: str) -> None:
        """Refuses (and records) a change of the customer's data by someone who may only
        read it: see ``work.permitted``."""
        ownership = self.load(ownership_id(customer_id))
        if not isinstance(ownership, Ownership) or ownership.owner is None:
            return  # nobody owns it: anybody may
        try:
            work.may_change(self, ownership, command.actor)
        except OwnershipRefused as refusal:
            self._record_refusal(command, customer_id, command.actor, attempted, refusal)
            raise

    def sweep(self, now: datetime | None = None) -> sweeper.SweepReport:
        """Recycles, reassigns or escalates every customer due at ``now`` (default: the
        clock's now; a later instant is refused - the pool must not be filled early),
        and alerts owner and supervisor of each opportunity gone stale (once each)."""
        clock_now = self.clock.now()
        at = clock_now if now is None else as_utc(now)
        if at > clock_now + _MAX_SWEEP_SKEW:
            raise ValidationFailed("now", f"{at.isoformat()} is in the future")
        context = EventContext(actor=sweeper.SWEEPER, recorded_at=clock_now, occurred_at=at)
        due = self.sales_view().due_by(at)
        size = self.config.ownership.sweep_batch_size
        actions: list[sweeper.SweepAction] = []
        for start in range(0, len(due), size):
            batch = due[start : start + size]
            sweep = partial(sweeper.sweep_batch, self, batch, context)
            actions.extend(self.with_retries(sweep))
        view = self.sales_view()
        stale = view.stale_by(at - timedelta(days=self.config.opportunities.stale_days))
        for start in range(0, len(stale), size):
            alert = partial(alert_batch, self, view, stale[start : start + size], context)
            actions.extend(self.with_retries(alert))
        return sweeper.SweepReport(at, len(due) + len(stale), actions)

    # -- queries ------------------------------------------------------------------------

    def ownership(self, customer_id: UUID) -> OwnershipRecord:
        """Who owns the customer now, its protection, deadlines, collaborators, pool state."""
        customer = self.live_customer(customer_id)
        found = self.load(ownership_id(customer.id))
        assert found is None or isinstance(found, Ownership)
        return OwnershipRecord.of(customer.id, found)

    def owner_of(self, customer_id: UUID) -> str | None:
        """The rep who owns the customer now (None: unassigned or in the pool)."""
        return self.ownership(customer_id).owner

    def pool(self, limit: int | None = None, offset: int = 0) -> list[PoolEntry]:
        """The public pool, longest waiting first (a page of it, given ``limit``)."""
        return self.sales_view().pool_entries(limit, offset)

    def sales_view(self) -> SalesQueries:
        """What commands ask of reps and ownerships, caught up with the log."""
        self._sales.catch_up()
        return self._sales

    # -- plumbing -------------------------------------------------------------------------

    def ownership_rule_set(self) -> str:
        """The digest of the ownership rules, adopted (as an event) if not yet in force."""
        config = self.config.ownership
        return self._adopted(RULE_SET_ID, config.rule_set_version, config.model_dump(mode="json"))

    def pipeline_rule_set(self) -> str:
        """The digest of the opportunity pipeline, adopted (as an event) if not yet."""
        config = self.config.opportunities
        rules = config.model_dump(mode="json", by_alias=True)
        return self._adopted(PIPELINE_RULE_SET_ID, config.rule_set_version, rules)

    def _adopted(self, rule_set_id: UUID, version: str, rules: dict[str, Any]) -> str:
        """Records ``rules`` as the rule set ``rule_set_id`` unless already in force."""
        if self._adopted_rule_sets.get(rule_set_id) == version:
            return version
        for _ in range(self.config.registration.max_save_attempts):
            stored = self.load(rule_set_id)
            assert stored is None or isinstance(stored, RuleSet)
            if stored is not None and stored.digest == version:
                break
            now = self.clock.now()
            context = EventContext("system:config", recorded_at=now, occurred_at=now)
            if stored is None:
                stored = RuleSet.first(version, rules, context, rule_set_id)
            else:
                stored.adopt(version, rules, context)
            try:
                self.save(stored)
                break
            except IntegrityError:
                continue
        self._adopted_rule_sets[rule_set_id] = version
        return version

    def record_collision(
        self,
        context: EventContext,
        customer_id: UUID,
        rep: str,
        attempted: str,
        rule: str,
        other_party: str | None,
        *,
        refused: bool,
        lost_race: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.save(
            Collision.record(
                self.new_id(),
                customer_id=customer_id,
                rep=rep,
                attempted=attempted,
                rule=rule,
                other_party=other_party,
                lost_race=lost_race,
                refused=refused,
                detail=detail or {},
                context=context,
            )
        )

    def _recording_refusals(
        self, command: Command, attempted: str, rep: str, attempt: Callable[[], T]
    ) -> T:
        tries = 0

        def counted() -> T:
            nonlocal tries
            tries += 1
            return attempt()

        try:
            return self.with_retries(counted)
        except OwnershipRefused as refusal:
            customer_id = getattr(command, "customer_id", None)
            if customer_id is not None and refusal.rule != "no_eligible_rep":
                self._record_refusal(
                    command, customer_id, rep, attempted, refusal, lost_race=tries > 1
                )
            raise

    def _record_refusal(
        self,
        command: Command,
        customer_id: UUID,
        rep: str,
        attempted: str,
        refusal: OwnershipRefused,
        *,
        lost_race: bool = False,
    ) -> None:
        self.record_collision(
            self.context_of(command),
            customer_id,
            rep,
            attempted,
            refusal.rule,
            refusal.other_party,
            refused=True,
            lost_race=lost_race,
            detail={"message": str(refusal)},
        )
