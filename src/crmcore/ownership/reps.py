"""The sales organisation: adding reps, changing them, and a rep leaving (离职交接).

A leaving rep is first marked as handing over (no new customers from that moment),
then their customers move - most important first - in batches, each customer with
its own Transferred or Released event, and the rep is marked as gone once they hold
none. Interrupted anywhere, the same command picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.domain.base import EventContext
from crmcore.domain.ownership import Ownership, ownership_id
from crmcore.domain.rep import Rep, RepProfile, rep_aggregate_id
from crmcore.errors import OwnershipRefused
from crmcore.ownership.commands import AddRep, RepLeaves
from crmcore.ownership.owners import give, load_rep, load_reps
from crmcore.ownership.policies.claim_rules import refuse, rep_refusal

if TYPE_CHECKING:
    from crmcore.ownership.ports import OwnershipPorts


@dataclass(frozen=True)
class RepRecord:
    """A rep as it stands: profile, status and how many customers they hold."""

    rep_id: str
    profile: RepProfile
    active: bool
    gone: bool
    handover_to: str | None
    open_count: int

    @classmethod
    def of(cls, rep: Rep) -> RepRecord:
        return cls(rep.rep_id, rep.profile, rep.active, rep.gone, rep.handover_to, rep.open_count)

    @property
    def status(self) -> str:
        return "left" if self.gone else "active" if self.active else "handing over"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id,
            **self.profile.to_fields(),
            "status": self.status,
            "handover_to": self.handover_to,
            "open_customers": self.open_count,
        }


def add_rep(app: OwnershipPorts, command: AddRep) -> tuple[RepRecord, str]:
    """Adds the rep, or replaces the profile of one already added; (rep, what happened:
    added, updated or unchanged)."""
    context = app.context_of(command)
    existing = app.load(rep_aggregate_id(command.rep_id))
    assert existing is None or isinstance(existing, Rep)
    capacity = command.capacity
    if capacity is None:
        capacity = existing.profile.capacity if existing else app.config.ownership.default_capacity
    profile = RepProfile(
        team=command.team,
        supervisor=command.supervisor,
        regions=command.regions,
        industries=command.industries,
        product_lines=command.product_lines,
        channels=command.channels,
        capacity=capacity,
        tier=command.tier,
        weight=command.weight,
    )
    if existing is None:
        rep = Rep.join(command.rep_id, profile, context)
        app.save(rep)
        return RepRecord.of(rep), "added"
    if not existing.active:
        raise OwnershipRefused("rep_left", f"{command.rep_id} has left the organisation")
    if not existing.change_profile(profile, context):
        return RepRecord.of(existing), "unchanged"
    app.save(existing)
    return RepRecord.of(existing), "updated"


def start_leaving(app: OwnershipPorts, command: RepLeaves, context: EventContext) -> Rep:
    """Marks the rep as handing over (checking the destination can take the book), or
    finds the handover already started for the same destination."""
    rep = load_rep(app, command.rep_id)
    if rep.gone:
        raise OwnershipRefused("rep_left", f"{rep.rep_id} has already left")
    if not rep.active:
        if rep.handover_to != command.handover_to:
            started = rep.handover_to or "the pool"
            raise OwnershipRefused(
                "handover_in_progress",
                f"{rep.rep_id}'s handover to {started} is under way: run it again the same way",
                other_party=rep.handover_to,
            )
        return rep
    if command.handover_to is not None:
        target = load_rep(app, command.handover_to)
        refuse(rep_refusal(target))
        free = target.profile.capacity - target.open_count
        if free < rep.open_count:
            raise OwnershipRefused(
                "capacity",
                f"{target.rep_id} has room for {free} more customers, {rep.rep_id} holds "
                f"{rep.open_count}",
                other_party=target.rep_id,
            )
    rep.start_handover(command.handover_to, context)
    app.save(rep)
    return rep


def hand_over_batch(
    app: OwnershipPorts, rep_id: str, customer_ids: list[UUID], context: EventContext
) -> list[tuple[UUID, str]]:
    """Moves the customers of one batch the rep still owns; (customer, action) each."""
    rep = load_rep(app, rep_id)
    target_id = rep.handover_to
    reps = load_reps(app, [rep_id] + ([target_id] if target_id else []))
    found = app.load_many([ownership_id(cid) for cid in customer_ids])
    changed: list[Ownership] = []
    moved: list[tuple[UUID, str]] = []
    for cid in customer_ids:
        ownership = found[ownership_id(cid)]
        if not isinstance(ownership, Ownership) or ownership.owner != rep_id:
            continue
        if target_id is None:
            ownership.record(
                Ownership.Released, context, previous_owner=rep_id, cooldown_until=None
            )
            moved.append((cid, "released"))
        else:
            give(
                app,
                ownership,
                cid,
                reps[target_id],
                Ownership.Transferred,
                context,
                respond_hours=app.config.ownership.response_sla_hours,
                how="transferred",
                handover=True,
            )
            moved.append((cid, "transferred"))
        changed.append(ownership)
    if moved:
        reps[rep_id].drop([cid for cid, _ in moved], "handover", context)
        app.save(*changed, *reps.values())
    return moved


def finish_leaving(app: OwnershipPorts, rep_id: str, context: EventContext) -> bool:
    """Marks the rep as gone if they hold no customer any more; False if some remain."""
    rep = load_rep(app, rep_id)
    if rep.open_count > 0:
        return False
    rep.leave(context)
    app.save(rep)
    return True
