"""Whose customer was it at T? Settled by replaying its history under the rules then.

The ladder, first rung that holds decides:

1. **protection** - someone owned it at T and its protection had not run out: theirs.
2. **assignment / claim_order / transfer** - someone owned it, unprotected (the sweeper
   had not yet taken it back): still theirs, by how their ownership began.
3. **first_valid_touch** - nobody owned it: the claimant whose valid touch (entered it,
   captured it as a lead, followed it up, opened an opportunity) came first since it
   was last free, within the new-customer protection period of the rules in force at T.
4. **no_right** - nobody owned it and no claimant touched it in that window: the pool
   was open, and the first claim wins.

Every other claimant gets the reason they lost; the evidence is the events each rung
read, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from crmcore.audit import verdict as rules
from crmcore.audit.evidence import Evidence, cite, combined
from crmcore.audit.owner_at import Histories, OwnerAt, owner_at, status_event
from crmcore.audit.rules_in_force import RulesInForce, rules_in_force
from crmcore.audit.verdict import Verdict
from crmcore.domain.base import CrmEvent
from crmcore.domain.customer import Customer
from crmcore.domain.customer_touches import LeadTouched
from crmcore.domain.lead import Lead
from crmcore.domain.ownership import Ownership

# Touches whose actor is the rep who made them: entering the customer or lead, entering
# it again, capturing it as a lead. (Follow-ups and opportunities name their rep.)
_TOUCHES_BY_ACTOR = (
    Customer.Registered,
    Customer.RecordMerged,
    LeadTouched,
    Lead.Captured,
    Lead.Touched,
)
_RULE_OF_BEGINNING = {
    "assigned": rules.ASSIGNMENT,
    "claimed": rules.CLAIM_ORDER,
    "transferred": rules.TRANSFER,
}


def settle_customer(
    histories: Histories,
    customer_id: UUID,
    claimants: Sequence[str],
    at: datetime,
    known_at: datetime | None = None,
) -> Verdict:
    """The verdict on whose ``customer_id`` was at ``at`` among ``claimants``."""
    reps = tuple(sorted(set(claimants)))
    owned = owner_at(histories, customer_id, at, known_at)
    in_force = rules_in_force(histories, at, known_at)
    notes = tuple(f"answered for {owned.answered_for}: {note}" for note in owned.redirects)
    if in_force.adopted_after:
        notes += ("no rule set had been adopted by then; the first one recorded is applied",)
    decision = _decide(owned, in_force, reps)
    adopted = cite([in_force.adopted_by] if in_force.adopted_by else [])
    return Verdict(
        subject={"customer_id": str(customer_id), "answered_for": str(owned.answered_for)},
        claimants=reps,
        at=at,
        as_known_at=known_at,
        winner=decision.winner,
        rule=decision.rule,
        rule_set_version=in_force.version,
        why=decision.why,
        losers=decision.losers,
        evidence=combined(decision.evidence, adopted),
        notes=notes,
    )


@dataclass(frozen=True)
class _Decision:
    winner: str | None
    rule: str
    why: str
    losers: dict[str, str]
    evidence: tuple[Evidence, ...]


def _decide(owned: OwnerAt, in_force: RulesInForce, reps: tuple[str, ...]) -> _Decision:
    """The first rung of the ladder (module docstring) that holds."""
    if owned.owner is not None:
        rule, why = _by_ownership(owned)
        losers = {rep: _lost_to_owner(rep, owned) for rep in reps if rep != owned.owner}
        return _Decision(owned.owner, rule, why, losers, owned.evidence)
    touches = _valid_touches(owned, in_force, reps)
    if touches:
        first, event = touches[0]
        firsts = dict(reversed(touches))
        why = (
            f"nobody owned it ({owned.status}); {first}'s valid touch at "
            f"{_when(event.occurred_at)} came first"
        )
        losers = {
            rep: _touched_later(firsts.get(rep), first, event) for rep in reps if rep != first
        }
        evidence = combined(owned.evidence, cite(e for _, e in touches))
        return _Decision(first, rules.FIRST_VALID_TOUCH, why, losers, evidence)
    why = (
        f"nobody owned it ({owned.status}) and no claimant touched it in the "
        f"{_window(in_force).days} days before; the first to claim it wins"
    )
    losers = dict.fromkeys(reps, "no owner, and no valid touch of theirs in the window")
    return _Decision(None, rules.NOBODY, why, losers, owned.evidence)


def _by_ownership(owned: OwnerAt) -> tuple[str, str]:
    since = _when(owned.owner_since) if owned.owner_since else "?"
    if owned.protected:
        until = f"until {_when(owned.protected_until)}" if owned.protected_until else "for good"
        return (
            rules.PROTECTION,
            f"{owned.owner} owned it since {since} and it was protected ({owned.protection}) "
            f"{until}",
        )
    rule = _RULE_OF_BEGINNING.get(owned.began_how or "", rules.ASSIGNMENT)
    lapsed = _when(owned.protected_until) if owned.protected_until else "?"
    return (
        rule,
        f"{owned.owner} owned it since {since} ({owned.began_how}); its protection had run "
        f"out at {lapsed} but nobody had taken it back to the pool",
    )


def _lost_to_owner(rep: str, owned: OwnerAt) -> str:
    if rep in owned.collaborators:
        return f"a collaborator ({owned.collaborators[rep]:g} share) of {owned.owner}'s customer"
    if owned.protected:
        return f"it was {owned.owner}'s and protected: nobody else could claim or be given it"
    return f"it was still {owned.owner}'s: ownership stands until released or recycled"


def _touched_later(mine: CrmEvent | None, first: str, theirs: CrmEvent) -> str:
    if mine is None:
        return "no valid touch of theirs since the customer was last free"
    return (
        f"their first valid touch at {_when(mine.occurred_at)} came after {first}'s at "
        f"{_when(theirs.occurred_at)}"
    )


def _when(instant: datetime) -> str:
    """An instant as people read it in a verdict's sentences (to the second)."""
    return instant.isoformat(timespec="seconds")


def _window(in_force: RulesInForce) -> timedelta:
    return timedelta(days=in_force.ownership().new_protection_days)


def _valid_touches(
    owned: OwnerAt, in_force: RulesInForce, claimants: tuple[str, ...]
) -> list[tuple[str, CrmEvent]]:
    """(rep, event) of every claimant's valid touch since the customer was last free
    and within the window, earliest first."""
    since = owned.at - _window(in_force)
    last_free = status_event(owned.ownership)
    if isinstance(last_free, Ownership.OwnerRemoved | Ownership.HandedOver):
        since = max(since, last_free.occurred_at)
    touches = [
        (rep, event)
        for replayed in owned.trail
        for event in replayed.applied
        if (rep := _toucher(event)) in claimants and since <= event.occurred_at <= owned.at
    ]
    return sorted(touches, key=lambda t: (t[1].occurred_at, t[1].timestamp, t[0]))


def _toucher(event: CrmEvent) -> str | None:
    """The rep a valid touch is by, or None for events that are not touches."""
    if isinstance(event, Ownership.FollowedUp):
        return event.rep
    if isinstance(event, Ownership.OpportunityNoted):
        return event.rep if event.status == "open" else None
    if isinstance(event, _TOUCHES_BY_ACTOR):
        return event.actor
    return None
