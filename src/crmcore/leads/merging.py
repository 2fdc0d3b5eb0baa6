"""Merging leads that one capture shows to be the same buyer.

Called by the capture when its keys are held by two or more leads. The survivor is
the owned lead if exactly one is owned (its rep keeps the buyer), else the one first
touched in business time (ties by id), so the same captures in any order leave the
same lead of record. Each other lead is absorbed: touches and keys move to the
survivor, every lead-key index it held is pointed at the survivor, and it becomes a
tombstone - all in the capture's own save.

A lead with an owner of its own that is absorbed keeps its ownership record (as a
merged customer does); a collision is recorded so a supervisor sees that two reps
were working one buyer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain import Collision, EventContext, Ownership, ownership_id
from crmcore.domain.lead import Lead
from crmcore.domain.lead_key import LeadKey, lead_key_id
from crmcore.errors import LeadNotFound

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts

# The collision rule recorded when two owned leads turn out to be one buyer.
LEAD_OWNED_TWICE = "lead_owned_twice"


def live_lead(app: CustomerPorts, lead_id: UUID) -> Lead:
    """The lead ``lead_id`` names, a merged lead's survivor followed; LeadNotFound."""
    seen: set[UUID] = set()
    current = lead_id
    while current not in seen:
        seen.add(current)
        lead = app.load(current)
        if not isinstance(lead, Lead):
            raise LeadNotFound(lead_id)
        if lead.merged_into is None:
            return lead
        current = lead.merged_into
    raise LeadNotFound(lead_id)  # a cycle is impossible by construction; never loop


def merge_leads(
    app: CustomerPorts, held: Mapping[UUID, Lead], context: EventContext
) -> tuple[Lead, list[Aggregate]]:
    """The surviving lead among ``held`` and every other aggregate the merge changed (to
    be saved); for a single lead, that lead and nothing."""
    leads = list(held.values())
    if len(leads) == 1:
        return leads[0], []
    found = app.load_many([ownership_id(lead.id) for lead in leads])
    owner = {
        lead.id: ownership.owner
        for lead in leads
        if isinstance(ownership := found[ownership_id(lead.id)], Ownership)
    }
    owned = [lead for lead in leads if owner.get(lead.id)]
    pool = owned if len(owned) == 1 else leads
    survivor = min(pool, key=lambda lead: (lead.touches[0].at, str(lead.id)))
    changed: list[Aggregate] = []
    for lead in sorted(leads, key=lambda lead: str(lead.id)):
        if lead.id == survivor.id:
            continue
        indexes = app.load_many([lead_key_id(key, app.key_ids) for key in lead.identity_keys])
        for index in indexes.values():
            if isinstance(index, LeadKey) and index.lead_id == lead.id:
                index.move(survivor.id, context)
                changed.append(index)
        survivor.absorb(lead, context)
        lead.merge_into(survivor.id, context)
        changed.append(lead)
        other, kept = owner.get(lead.id), owner.get(survivor.id)
        if other and kept and other != kept:
            changed.append(_owned_twice(app, survivor.id, lead.id, other, kept, context))
    return survivor, changed


def _owned_twice(
    app: CustomerPorts,
    survivor_id: UUID,
    absorbed_id: UUID,
    absorbed_owner: str,
    owner: str,
    context: EventContext,
) -> Collision:
    return Collision.record(
        app.new_id(),
        customer_id=survivor_id,
        rep=absorbed_owner,
        attempted="lead_merge",
        rule=LEAD_OWNED_TWICE,
        other_party=owner,
        lost_race=False,
        refused=False,
        detail={"absorbed_lead": str(absorbed_id)},
        context=context,
    )
