"""The sweeper (公海回收): owned customers whose deadline passed go back to the pool.

Time-driven but clock-free: ``now`` is an argument (the application's clock when
omitted, never later than it). Idempotent: a customer is acted on only if its own
aggregate, freshly loaded, is still due - a second run finds nothing. Safe to run
from two processes at once: each batch saves its ownerships and reps in one
``save()``, so of two sweepers racing one batch, one wins and the other re-reads it
and skips what the winner did.

Causes: ``no_first_contact`` (a claim not contacted within claim_contact_hours) and
``protection_expired`` recycle to the pool; ``sla_missed`` (an assignment not
contacted within response_sla_hours) is reassigned by the rules or escalated to the
team's supervisor, as ``sla_action`` says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.domain.base import EventContext
from crmcore.domain.ownership import Ownership, ownership_id
from crmcore.domain.rep import Rep
from crmcore.errors import OwnershipRefused
from crmcore.ownership.config import SlaAction
from crmcore.ownership.owners import choose_rep, facts_of, give, load_reps
from crmcore.ownership.policies import protection as periods
from crmcore.ownership.queries import SalesQueries

if TYPE_CHECKING:
    from crmcore.ownership.ports import OwnershipPorts

SWEEPER = "system:sweeper"


@dataclass(frozen=True)
class SweepAction:
    customer_id: UUID
    action: str  # recycled, reassigned, escalated
    cause: str
    previous_owner: str
    owner: str | None = None  # the new owner (reassigned) or the supervisor (escalated)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "customer_id": str(self.customer_id)}


@dataclass(frozen=True)
class SweepReport:
    now: datetime
    due: int
    actions: list[SweepAction] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f"{a.action}:{a.cause}" for a in self.actions).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "due": self.due,
            "counts": self.counts(),
            "actions": [a.to_dict() for a in self.actions],
        }


def sweep_batch(
    app: OwnershipPorts, customer_ids: list[UUID], context: EventContext
) -> list[SweepAction]:
    """Acts on the customers of one batch that are still due (found by the sales view;
    decided on their own aggregates)."""
    now = context.occurred_at
    found = app.load_many([ownership_id(cid) for cid in customer_ids])
    due: list[tuple[Ownership, str, datetime]] = []
    for ownership in found.values():
        if not isinstance(ownership, Ownership) or ownership.last_at > now:
            continue
        if (work := ownership.due(now)) is not None:
            due.append((ownership, *work))
    reps = load_reps(app, (o.owner for o, _, _ in due if o.owner is not None))
    view = app.sales_view()  # caught up once per batch, not once per reassignment
    dropped: dict[str, list[UUID]] = defaultdict(list)
    actions = []
    for ownership, cause, deadline in due:
        owner = ownership.owner
        assert owner is not None
        if cause == "sla_missed":
            action = _missed_sla(app, view, ownership, owner, reps, context)
            if action.action == "reassigned":
                dropped[owner].append(ownership.customer_id)
        else:
            ownership.record(
                Ownership.Recycled,
                context,
                previous_owner=owner,
                cause=cause,
                deadline=deadline,
                rule_set_version=app.ownership_rule_set(),
                cooldown_until=periods.cooldown_until(now, app.config.ownership),
            )
            dropped[owner].append(ownership.customer_id)
            action = SweepAction(ownership.customer_id, "recycled", cause, owner)
        actions.append(action)
    for rep_id, lost in dropped.items():
        reps[rep_id].drop(lost, "swept", context)
    app.save(*(o for o, _, _ in due), *reps.values())
    return actions


def _missed_sla(
    app: OwnershipPorts,
    view: SalesQueries,
    ownership: Ownership,
    owner: str,
    reps: dict[str, Rep],
    context: EventContext,
) -> SweepAction:
    cid = ownership.customer_id
    config = app.config.ownership
    if config.sla_action is SlaAction.REASSIGN:
        facts = facts_of(app, cid)
        try:
            rep, rule = choose_rep(app, facts, exclude=frozenset({owner}), cache=reps, view=view)
        except OwnershipRefused:
            pass  # nobody else can take it: escalate instead
        else:
            give(
                app,
                ownership,
                cid,
                rep,
                Ownership.Assigned,
                context,
                respond_hours=config.response_sla_hours,
                how="assigned",
                rule=f"sla_reassign {rule}",
            )
            return SweepAction(cid, "reassigned", "sla_missed", owner, rep.rep_id)
    supervisor = view.supervisor_of(owner)
    assert ownership.respond_by is not None
    ownership.record(
        Ownership.Escalated,
        context,
        owner=owner,
        supervisor=supervisor,
        deadline=ownership.respond_by,
    )
    return SweepAction(cid, "escalated", "sla_missed", owner, supervisor)
