"""Giving a customer an owner and taking it away: assign, claim, release, transfer.

Each function is one attempt of a command: it loads the customer's Ownership and the
reps involved, asks the policies, records events and saves every aggregate it changed
in one ``save()``. The application runs it again from fresh reads when a concurrent
writer won (``CrmStore.with_retries``), so the second attempt of a lost claim race sees the
winner and is refused by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.clock import iso
from crmcore.domain.base import EventContext
from crmcore.domain.customer import Customer
from crmcore.domain.lead import Lead
from crmcore.domain.ownership import Ownership, ownership_id
from crmcore.domain.rep import Rep, rep_aggregate_id
from crmcore.errors import OwnershipRefused, RaceLost, RepNotFound, ValidationFailed
from crmcore.identity.profile import MatchProfile
from crmcore.ownership.commands import (
    AssignCustomer,
    ClaimCustomer,
    ReleaseCustomer,
    TransferCustomer,
)
from crmcore.ownership.config import OwnershipConfig
from crmcore.ownership.policies import protection as periods
from crmcore.ownership.policies.assignment import CustomerFacts, RepSnapshot
from crmcore.ownership.policies.claim_rules import (
    claim_refusal,
    owner_refusal,
    refuse,
    taking_refusal,
)

if TYPE_CHECKING:
    from crmcore.ownership.ports import OwnershipPorts
    from crmcore.ownership.queries import SalesQueries


@dataclass(frozen=True)
class OwnerChange:
    """What an ownership command did: the customer's owner now, and by which rule."""

    customer_id: UUID
    owner: str
    previous_owner: str | None
    rule: str
    protected_until: datetime | None
    respond_by: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "owner": self.owner,
            "previous_owner": self.previous_owner,
            "rule": self.rule,
            "protected_until": iso(self.protected_until),
            "respond_by": iso(self.respond_by),
        }


# -- reading ------------------------------------------------------------------------------


def load_rep(app: OwnershipPorts, rep_id: str) -> Rep:
    rep = app.load(rep_aggregate_id(rep_id))
    if not isinstance(rep, Rep):
        raise RepNotFound(rep_id)
    return rep


def load_reps(app: OwnershipPorts, rep_ids: Iterable[str]) -> dict[str, Rep]:
    """Each named rep once (two roles of one rep must share one aggregate to save)."""
    return {rep_id: load_rep(app, rep_id) for rep_id in dict.fromkeys(rep_ids)}


def load_ownership(app: OwnershipPorts, customer_id: UUID) -> Ownership | None:
    ownership = app.load(ownership_id(customer_id))
    assert ownership is None or isinstance(ownership, Ownership)
    return ownership


def current_owner(app: OwnershipPorts, party_id: UUID) -> str | None:
    """Who owns the customer or lead ``party_id`` now (None: nobody)."""
    ownership = load_ownership(app, party_id)
    return ownership.owner if ownership is not None else None


def opened(
    app: OwnershipPorts, customer_id: UUID, context: EventContext
) -> tuple[Ownership | None, datetime]:
    """The customer's ownership and the business time the command decides at, which may
    not precede the ownership's last change (its timeline must read forwards). A time
    the command stated is refused; one it took from the clock lost a race with the
    writer of that change (which read the clock later but committed first): RaceLost,
    and the attempt is made again with a fresh clock reading."""
    ownership = load_ownership(app, customer_id)
    now = context.occurred_at
    if ownership is not None and now < ownership.last_at:
        if not context.stated:
            raise RaceLost
        raise ValidationFailed(
            "occurred_at",
            f"{now.isoformat()} is before the customer's last ownership change "
            f"({ownership.last_at.isoformat()})",
        )
    return ownership, now


def supervises(supervisor: Rep, rep: Rep) -> bool:
    team = supervisor.profile.team
    return (
        supervisor.active
        and supervisor.profile.supervisor
        and team is not None
        and team == rep.profile.team
    )


def local_day(moment: datetime, config: OwnershipConfig) -> str:
    return moment.astimezone(config.zone).date().isoformat()


# -- writing ------------------------------------------------------------------------------


def give(
    app: OwnershipPorts,
    ownership: Ownership | None,
    customer_id: UUID,
    rep: Rep,
    event_class: type[Ownership.OwnerChanged],
    context: EventContext,
    *,
    respond_hours: float,
    how: str,
    keeps: periods.Protection | None = None,
    **fields: Any,
) -> tuple[Ownership, OwnerChange]:
    """Makes ``rep`` the owner (events on the ownership and the rep, not yet saved).

    A transfer keeps the protection the customer had; ``keeps`` is protection carried
    over from elsewhere (a converted lead's), kept if it outlasts a new owner's."""
    config = app.config.ownership
    ownership = ownership or Ownership.start(customer_id, context)
    now = context.occurred_at
    kept = periods.held(ownership) if event_class is Ownership.Transferred else keeps
    protection = periods.renewed(kept, periods.for_new_owner(now, config))
    respond_by = periods.respond_by(now, respond_hours)
    previous = ownership.owner
    ownership.record(
        event_class,
        context,
        owner=rep.rep_id,
        previous_owner=previous,
        rule_set_version=app.ownership_rule_set(),
        protection=protection.kind,
        protected_until=protection.until,
        respond_by=respond_by,
        **fields,
    )
    rep.take(customer_id, how, local_day(now, config), context)
    rule = str(fields.get("rule", how))
    change = OwnerChange(customer_id, rep.rep_id, previous, rule, protection.until, respond_by)
    return ownership, change


def assign(app: OwnershipPorts, command: AssignCustomer) -> OwnerChange:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, now = opened(app, customer.id, context)
    _refuse_non_supervisor(app, command.actor)
    refuse(owner_refusal(ownership, command.rep or "", now))
    if command.rep is not None:
        rep, rule = load_rep(app, command.rep), "manual"
        refuse(taking_refusal(rep))
    else:
        facts = CustomerFacts(
            customer.region,
            customer.industry,
            customer.source,
            command.product_line,
            command.account_tier,
        )
        rep, rule = choose_rep(app, facts, exclude=frozenset())
    ownership, change = give(
        app,
        ownership,
        customer.id,
        rep,
        Ownership.Assigned,
        context,
        respond_hours=app.config.ownership.response_sla_hours,
        how="assigned",
        rule=rule,
    )
    app.save(ownership, rep)
    return change


def facts_of(app: OwnershipPorts, party_id: UUID) -> CustomerFacts:
    """What the assignment rules route on, for a customer or for a lead (an owned lead
    is reassigned by the same rules when its response SLA is missed)."""
    found = app.load(party_id)
    if isinstance(found, Lead):
        latest = found.touches[-1]
        return CustomerFacts(found.region, found.industry, latest.channel, latest.intent)
    if not isinstance(found, Customer) or found.merged_into is not None:
        found = app.live_customer(party_id)  # a tombstone's survivor, or CustomerNotFound
    return CustomerFacts(found.region, found.industry, found.source)


def choose_rep(
    app: OwnershipPorts,
    facts: CustomerFacts,
    exclude: frozenset[str],
    cache: dict[str, Rep] | None = None,
    view: SalesQueries | None = None,
) -> tuple[Rep, str]:
    """The rep the assignment policy picks, re-checked on the rep's own aggregate (the
    view may lag it: a rep found full or gone is left out and the policy asked again).

    ``cache`` holds reps a batch already loaded (and changed): they are used as they
    stand, and the chosen rep is added; ``view``, a sales view the caller caught up
    already (a batch reads the log once, not once per customer).
    """
    view = view or app.sales_view()
    cache = {} if cache is None else cache
    left_out = set(exclude)
    while True:
        candidates = [
            # The batch's own count where it holds the rep (a constructor, not
            # dataclasses.replace: this runs for every rep per customer in a sweep).
            RepSnapshot(snap.rep_id, snap.profile, snap.active, cache[snap.rep_id].open_count)
            if snap.rep_id in cache
            else snap
            for snap in view.rep_snapshots()
            if snap.rep_id not in left_out
        ]
        choice = app.assignment.choose(candidates, facts, view.last_round_robin())
        if choice is None:
            raise OwnershipRefused(
                "no_eligible_rep", "no active rep with free capacity is left to assign to"
            )
        rep = cache.get(choice.rep_id) or load_rep(app, choice.rep_id)
        if taking_refusal(rep) is None:
            cache[rep.rep_id] = rep
            return rep, choice.rule
        left_out.add(rep.rep_id)


def _refuse_non_supervisor(app: OwnershipPorts, actor: str) -> None:
    """A rep may not hand customers out unless they supervise; a system actor may."""
    rep = app.load(rep_aggregate_id(actor))
    if isinstance(rep, Rep) and not rep.profile.supervisor:
        raise OwnershipRefused(
            "not_supervisor", f"{actor} is a rep, not a supervisor: claim from the pool instead"
        )


def claim(app: OwnershipPorts, command: ClaimCustomer) -> OwnerChange:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, now = opened(app, customer.id, context)
    rep = load_rep(app, command.rep)
    config = app.config.ownership
    refusal = claim_refusal(
        ownership,
        rep,
        now,
        local_day(now, config),
        config,
        lambda: duplicate_owner(app, customer.id, rep.rep_id),
    )
    refuse(refusal)
    ownership, change = give(
        app,
        ownership,
        customer.id,
        rep,
        Ownership.Claimed,
        context,
        respond_hours=config.claim_contact_hours,
        how="claimed",
    )
    app.save(ownership, rep)
    return change


def duplicate_owner(app: OwnershipPorts, customer_id: UUID, rep_id: str) -> tuple[str, UUID] | None:
    """(owner, customer) of another customer the identity rules would block this one as
    a duplicate of, when a rep other than ``rep_id`` owns it."""
    app.identity.catch_up()
    profile: MatchProfile | None = app.identity.own_profile(customer_id)
    if profile is None:
        return None
    matches = app.identity.matches(profile, {})
    for match in sorted(matches, key=lambda m: (-m.score, str(m.customer_id))):
        if match.customer_id == customer_id or match.action != "block":
            continue
        owner = app.owner_of(match.customer_id)
        if owner is not None and owner != rep_id:
            return owner, match.customer_id
    return None


def release(app: OwnershipPorts, command: ReleaseCustomer) -> str:
    """Returns the rep who owned the customer."""
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, now = opened(app, customer.id, context)
    owner = _owner_or_refuse(ownership)
    reps = load_reps(app, [owner, command.rep])
    if command.rep != owner and not supervises(reps[command.rep], reps[owner]):
        raise OwnershipRefused(
            "not_owner",
            f"{owner} owns it; only they or their supervisor may release it",
            other_party=owner,
        )
    assert ownership is not None
    cooldown = periods.cooldown_until(now, app.config.ownership)
    ownership.record(Ownership.Released, context, previous_owner=owner, cooldown_until=cooldown)
    reps[owner].drop([customer.id], "released", context)
    app.save(ownership, reps[owner])
    return owner


def transfer(app: OwnershipPorts, command: TransferCustomer) -> OwnerChange:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, _ = opened(app, customer.id, context)
    owner = _owner_or_refuse(ownership)
    reps = load_reps(app, [owner, command.by, command.to])
    if not supervises(reps[command.by], reps[owner]):
        raise OwnershipRefused(
            "not_supervisor",
            f"{command.by} does not supervise {owner}'s team",
            other_party=owner,
        )
    target = reps[command.to]
    if target.rep_id == owner:
        raise OwnershipRefused("already_owner", f"{owner} already owns it", other_party=owner)
    refuse(taking_refusal(target))
    ownership, change = give(
        app,
        ownership,
        customer.id,
        target,
        Ownership.Transferred,
        context,
        respond_hours=app.config.ownership.response_sla_hours,
        how="transferred",
        handover=False,
    )
    reps[owner].drop([customer.id], "transferred", context)
    app.save(ownership, *reps.values())
    return change


def _owner_or_refuse(ownership: Ownership | None) -> str:
    if ownership is None or ownership.owner is None:
        raise OwnershipRefused("not_owned", "nobody owns this customer: assign or claim it")
    return ownership.owner
