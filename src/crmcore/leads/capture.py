"""Capturing a lead: the identity check decides whose arrival it is, then one save.

The order of questions is the seeds' order of harm. First the same identity check every
entry path runs (exact customer keys race-free through their indexes, then the fuzzy
rules against the identity view): a buyer who is already a customer becomes a touch on
that customer, routed to its owner - and a collision when another rep captured it.
Then the lead keys (the customer's kinds plus device fingerprint and session id): a
buyer who is already a lead joins it as one more touch - and when the keys name two
leads, they were one buyer all along and are merged (``crmcore.leads.merging``). Only
then is a lead created.
Whatever is created or joined is scored, and the score routes it: to a rep by the
assignment rules (an ownership like a customer's, so protection and the response SLA
apply), or to the lead pool.

The same arrival captured again - same channel, tags, campaign, intent, browser, actor
and business time, adding no key or detail (an import run twice) - records nothing and
answers ``unchanged``.

Every aggregate a capture touches - lead, lead-key indexes, ownership, rep, collision
- is saved at once. Two processes capturing the same phone write the same lead-key
index; the loser's save fails, and its retry finds and joins the winner's lead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.config import DedupMode
from crmcore.customers.erasure import refuse_if_erased
from crmcore.customers.keys import holders
from crmcore.domain import Collision, EventContext, Ownership, Rep, rep_aggregate_id
from crmcore.domain.customer_touches import arrival_mark
from crmcore.domain.identity_index import indexes_among
from crmcore.domain.lead import Lead
from crmcore.domain.lead_key import LeadKey, lead_key_id
from crmcore.errors import OwnershipRefused
from crmcore.identity import IdentityKey
from crmcore.identity.decide import IdentityDecision
from crmcore.identity.filing import record_profile
from crmcore.leads.commands import CaptureLead
from crmcore.leads.merging import merge_leads
from crmcore.leads.records import CaptureResult
from crmcore.leads.scoring import score_lead
from crmcore.ownership.owners import choose_rep, current_owner, give, load_ownership
from crmcore.ownership.policies.assignment import CustomerFacts

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts

# The collision rule a capture records when a rep captures another rep's customer.
LEAD_OF_OWNED_CUSTOMER = "lead_of_owned_customer"


def capture(app: CustomerPorts, command: CaptureLead, mode: DedupMode) -> CaptureResult:
    """One attempt at a capture; the caller retries it when another writer won a key."""
    app.identity.catch_up()
    context = app.context_of(command)
    customer_keys, lead_keys = command.identity_keys(), command.lead_keys()
    key_ids = app.key_ids
    found = app.load_many(
        [
            *(key_ids.index_id(k) for k in customer_keys),
            *(lead_key_id(k, key_ids) for k in lead_keys),
        ]
    )
    indexes = indexes_among(found, customer_keys, key_ids)
    record, touch = command.record(), command.touch()
    profile = record_profile(record)
    app.identity.begin_batch([profile])
    try:
        decision = app.identity.check(profile, holders(customer_keys, indexes), mode)
    finally:
        app.identity.end_batch()
    if decision.outcome in ("blocked", "merged"):
        assert decision.target is not None
        assert decision.rule is not None
        shared = list(decision.matches[0].shared_keys)
        return _join_customer(
            app, command, decision.target, decision.rule, shared, decision, context
        )
    held: dict[UUID, list[IdentityKey]] = {}
    # Keys an erased lead released name nobody: taken again by whoever captures them.
    released: dict[IdentityKey, LeadKey] = {}
    for key in lead_keys:
        index = found[lead_key_id(key, key_ids)]
        if isinstance(index, LeadKey):
            if index.lead_id is None:
                released[key] = index
            else:
                held.setdefault(index.lead_id, []).append(key)
    mark = arrival_mark(touch, command.actor, context.occurred_at)
    if held:
        leads = _leads(app, held)
        for lead_id, keys in held.items():
            converted_to = leads[lead_id].converted_to
            if converted_to is not None:  # the buyer became a customer: a touch on it
                labels = [key.label for key in keys]
                return _join_customer(
                    app, command, converted_to, "converted_lead", labels, decision, context
                )
        lead, merged = merge_leads(app, leads, context)
        if not merged and lead.has_arrival(mark) and not lead.would_change(record, lead_keys):
            return _unchanged(app, lead, decision)
        matched = [key for keys in held.values() for key in keys]
        free = tuple(
            k for k in lead_keys if found[lead_key_id(k, key_ids)] is None or k in released
        )
        lead.join(
            record=record,
            touch=touch,
            matched_on=[k.label for k in matched],
            new_keys=free,
            context=context,
        )
        return _route(app, lead, free, "joined_lead", context, decision, merged, released)
    lead = Lead.capture(
        app.new_id(),
        record=record,
        keys=lead_keys,
        touch=touch,
        context=context,
    )
    if decision.outcome == "warned":
        assert decision.rule is not None
        lead.flag_possible_customer(
            decision.rule,
            decision.rule_set_version,
            [m.to_dict() for m in decision.matches if m.rule is not None],
            context,
        )
    return _route(app, lead, lead_keys, "created", context, decision, released=released)


def _leads(app: CustomerPorts, held: dict[UUID, list[IdentityKey]]) -> dict[UUID, Lead]:
    """The leads the capture's keys name, in the order of its keys."""
    found = app.load_many(list(held))
    leads = {}
    for lead_id in held:
        lead = found[lead_id]
        assert isinstance(lead, Lead), f"a lead key names {lead_id}, which is not a lead"
        leads[lead_id] = lead
    return leads


def _join_customer(
    app: CustomerPorts,
    command: CaptureLead,
    target: UUID,
    rule: str,
    matched_on: list[str],
    decision: IdentityDecision,
    context: EventContext,
) -> CaptureResult:
    """The buyer is a customer: a touch on it, routed to its owner; a collision when the
    capturing rep is not that owner. An erased customer takes no touch (its key is gone:
    what was entered would be lost): refused, so the caller knows."""
    customer = app.live_customer(target)
    refuse_if_erased(customer)
    owner = current_owner(app, customer.id)
    route = "owner" if owner else "pool"
    touch = command.touch()
    if customer.has_arrival(arrival_mark(touch, command.actor, context.occurred_at)):
        return CaptureResult(
            "unchanged", None, customer.id, customer.touches, None, route, owner, decision
        )
    customer.record_lead_touch(
        touch=touch,
        record=command.record(),
        rule=rule,
        matched_on=matched_on,
        routed_to=owner,
        context=context,
    )
    saved: list[Aggregate] = [customer]
    actor = command.actor
    collided = owner is not None and owner != actor
    if collided and isinstance(app.load(rep_aggregate_id(actor)), Rep):
        saved.append(
            Collision.record(
                app.new_id(),
                customer_id=customer.id,
                rep=actor,
                attempted="capture_lead",
                rule=LEAD_OF_OWNED_CUSTOMER,
                other_party=owner,
                lost_race=False,
                refused=False,
                detail={"channel": command.channel.value, "rule": rule},
                context=context,
            )
        )
    app.save(*saved)
    return CaptureResult(
        outcome="joined_customer",
        lead_id=None,
        customer_id=customer.id,
        touches=customer.touches,
        score=None,
        route=route,
        owner=owner,
        decision=decision,
    )


def _unchanged(app: CustomerPorts, lead: Lead, decision: IdentityDecision) -> CaptureResult:
    """The same arrival captured again (an import run twice): nothing is recorded."""
    owner = current_owner(app, lead.id)
    return CaptureResult(
        outcome="unchanged",
        lead_id=lead.id,
        customer_id=None,
        touches=len(lead.touches),
        score=lead.score,
        route="owner" if owner else (lead.route or "pool"),
        owner=owner,
        decision=decision,
        terms=lead.score_terms,
    )


def _route(
    app: CustomerPorts,
    lead: Lead,
    new_keys: tuple[IdentityKey, ...],
    outcome: str,
    context: EventContext,
    decision: IdentityDecision,
    merged: Sequence[Aggregate] = (),
    released: Mapping[IdentityKey, LeadKey] | None = None,
) -> CaptureResult:
    """Scores the lead, routes it, and saves it with its new key indexes, what a merge of
    leads changed, and - when a rep is given it - the ownership and the rep."""
    config = app.config.leads
    rating = score_lead(lead, config, context.recorded_at)
    saved: list[Aggregate] = [lead, *merged]
    for key in new_keys:
        index = (released or {}).get(key)
        if index is None:
            saved.append(LeadKey.index(key, lead.id, context, app.key_ids))
        else:
            index.retake(lead.id, context)
            saved.append(index)
    ownership = load_ownership(app, lead.id)
    owner = ownership.owner if ownership is not None else None
    route = "owner" if owner else rating.route
    if route == "assign":
        assigned = _assign(app, lead, ownership, context)
        if assigned is None:
            route = "pool"  # nobody can take it now: it waits in the pool
        else:
            saved.extend(assigned)
            owner = assigned[1].rep_id
    lead.rate(rating.score, rating.terms, rating.threshold, route, config.rule_set_version, context)
    app.save(*saved)
    return CaptureResult(
        outcome=outcome,
        lead_id=lead.id,
        customer_id=None,
        touches=len(lead.touches),
        score=rating.score,
        route=route,
        owner=owner,
        decision=decision,
        terms=tuple(rating.terms),
    )


def _assign(
    app: CustomerPorts, lead: Lead, ownership: Ownership | None, context: EventContext
) -> tuple[Ownership, Rep] | None:
    """The lead given to the rep the assignment rules choose (ownership, rep), or None
    when no rep is eligible - or when the capture's business time precedes the lead's
    last ownership change (an ownership timeline only reads forwards)."""
    if ownership is not None and context.occurred_at < ownership.last_at:
        return None
    latest = lead.touches[-1]  # touches are kept in business-time order
    facts = CustomerFacts(lead.region, lead.industry, latest.channel, latest.intent)
    try:
        rep, rule = choose_rep(app, facts, exclude=frozenset())
    except OwnershipRefused:
        return None
    given, _ = give(
        app,
        ownership,
        lead.id,
        rep,
        Ownership.Assigned,
        context,
        respond_hours=app.config.ownership.response_sla_hours,
        how="assigned",
        rule=rule,
    )
    return given, rep
