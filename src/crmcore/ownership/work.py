"""Working an owned customer: follow-ups, collaborators, opportunities, and who may.

A valid follow-up (有效跟进) by the owner or a collaborator renews protection; the
same contact by anybody else is allowed - the customer called them - but recorded as
a collision and returned as a warning. Changing a customer's sales data is for the
owner, collaborators, the supervisors of the owner's team and the configured data
stewards; a refused attempt is recorded as a collision too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.clock import iso
from crmcore.domain.base import EventContext
from crmcore.domain.ownership import Ownership
from crmcore.domain.rep import Rep, rep_aggregate_id
from crmcore.errors import OwnershipRefused, ValidationFailed
from crmcore.ownership.commands import NoteOpportunity, RecordFollowUp, SetCollaborators
from crmcore.ownership.owners import load_rep, load_reps, opened, supervises
from crmcore.ownership.policies import protection as periods
from crmcore.ownership.policies.claim_rules import refuse, rep_refusal

if TYPE_CHECKING:
    from crmcore.ownership.ports import OwnershipPorts

# A next-contact plan further out than this is no plan (and would game the SLA view).
MAX_NEXT_CONTACT = timedelta(days=180)


@dataclass(frozen=True)
class FollowUpResult:
    """``counted``: it renewed the owner's protection; else it was a non-owner's contact,
    recorded as a collision with ``owner``."""

    customer_id: UUID
    rep: str
    counted: bool
    owner: str
    protected_until: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "rep": self.rep,
            "counted": self.counted,
            "owner": self.owner,
            "protected_until": iso(self.protected_until),
        }


def follow_up(app: OwnershipPorts, command: RecordFollowUp) -> FollowUpResult:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, now = opened(app, customer.id, context)
    if not now < command.next_contact_at <= now + MAX_NEXT_CONTACT:
        raise ValidationFailed(
            "next_contact_at", "must be after the follow-up and within 180 days of it"
        )
    rep = load_rep(app, command.rep)
    refuse(rep_refusal(rep))
    if ownership is None or ownership.owner is None:
        raise OwnershipRefused("not_owner", "nobody owns this customer: claim it first")
    owner = ownership.owner
    if not ownership.may_change_sales_data(rep.rep_id):
        app.record_collision(
            context,
            customer.id,
            rep.rep_id,
            "follow_up",
            "contact_by_non_owner",
            owner,
            refused=False,
            detail=command.model_dump(mode="json", include=_FOLLOW_UP_FIELDS),
        )
        return FollowUpResult(customer.id, rep.rep_id, False, owner, ownership.protected_until)
    protection = _protection_after_contact(ownership, now, app)
    ownership.record(
        Ownership.FollowedUp,
        context,
        rep=rep.rep_id,
        channel=command.channel.value,
        content=command.content,
        outcome=command.outcome,
        next_contact_at=command.next_contact_at,
        protection=protection.kind,
        protected_until=protection.until,
    )
    app.save(ownership)
    return FollowUpResult(customer.id, rep.rep_id, True, owner, protection.until)


_FOLLOW_UP_FIELDS = {"channel", "content", "outcome", "next_contact_at"}


def _protection_after_contact(
    ownership: Ownership, now: datetime, app: OwnershipPorts
) -> periods.Protection:
    config = app.config.ownership
    protection = periods.renewed(periods.held(ownership), periods.after_follow_up(now, config))
    if any(holder == ownership.owner for holder in ownership.opportunities.values()):
        offer = periods.for_opportunity("open", now, config)
        assert offer is not None
        protection = periods.renewed(protection, offer)
    return protection


def set_collaborators(app: OwnershipPorts, command: SetCollaborators) -> dict[str, float]:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, _ = opened(app, customer.id, context)
    ownership = may_change(app, ownership, command.by)
    owner = ownership.owner
    assert owner is not None
    if owner in command.shares:
        raise ValidationFailed("shares", f"{owner} is the owner, not a collaborator")
    for rep_id in command.shares:
        if not load_rep(app, rep_id).active:
            raise ValidationFailed("shares", f"{rep_id} is not an active rep")
    shares = dict(sorted(command.shares.items()))
    ownership.record(Ownership.CollaboratorsChanged, context, owner=owner, shares=shares)
    app.save(ownership)
    return shares


def note_opportunity(app: OwnershipPorts, command: NoteOpportunity) -> None:
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, _ = opened(app, customer.id, context)
    ownership = may_change(app, ownership, command.rep)
    record_opportunity(
        app, ownership, command.opportunity_id, command.rep, command.status.value, context
    )
    app.save(ownership)


def record_opportunity(
    app: OwnershipPorts,
    ownership: Ownership,
    opportunity_id: str,
    rep: str,
    status: str,
    context: EventContext,
) -> None:
    """Notes an opportunity opened, won or lost on the customer's ownership (not saved):
    by the owner it renews protection (longer while open, long-term once won)."""
    offer = periods.for_opportunity(status, context.occurred_at, app.config.ownership)
    protection = None
    if offer is not None and rep == ownership.owner:
        protection = periods.renewed(periods.held(ownership), offer)
    ownership.record(
        Ownership.OpportunityNoted,
        context,
        opportunity_id=opportunity_id,
        rep=rep,
        status=status,
        protection=protection.kind if protection else None,
        protected_until=protection.until if protection else None,
    )


def may_change(app: OwnershipPorts, ownership: Ownership | None, actor: str) -> Ownership:
    """The ownership, if ``actor`` may change the customer's sales data; else the
    refusal (the application records it as a collision)."""
    if ownership is None or ownership.owner is None:
        raise OwnershipRefused("not_owned", "nobody owns this customer: assign or claim it")
    if not permitted(app, ownership, actor):
        owner = ownership.owner
        raise OwnershipRefused(
            "not_permitted",
            f"{owner} owns this customer; {actor} may read it but not change it",
            other_party=owner,
        )
    return ownership


def permitted(app: OwnershipPorts, ownership: Ownership, actor: str) -> bool:
    """The owner, collaborators, the owner's team supervisors and data stewards may."""
    if ownership.owner is None or ownership.may_change_sales_data(actor):
        return True
    if actor in app.config.ownership.data_stewards:
        return True
    candidate = app.load(rep_aggregate_id(actor))
    if not isinstance(candidate, Rep):
        return False
    return supervises(candidate, load_reps(app, [ownership.owner])[ownership.owner])
