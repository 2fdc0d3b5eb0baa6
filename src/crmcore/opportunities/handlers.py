"""Opening, updating and advancing opportunities; each one atomic save.

Every change goes through the customer's ownership: only those who may change the
customer's sales data (owner, collaborators, the owner's team supervisors, data
stewards) may, and a refusal is recorded as a collision. Opening notes the opportunity
on the ownership (protection for the owner while it is open, long-term once won), as
closing it does - in the same save as the opportunity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain import Collision, EventContext, Ownership, ownership_id
from crmcore.domain.opportunity import Opportunity
from crmcore.errors import OpportunityNotFound, OpportunityRefused
from crmcore.groups.trees import members_of
from crmcore.opportunities.commands import (
    AdvanceOpportunity,
    OpenOpportunity,
    UpdateOpportunity,
)
from crmcore.opportunities.config import (
    DuplicateOpportunityMode,
    SkipCondition,
    StageOutcome,
)
from crmcore.opportunities.duplicates import SameProject, same_project
from crmcore.opportunities.pipeline import plan_move
from crmcore.ownership.owners import load_ownership, opened
from crmcore.ownership.work import may_change, record_opportunity

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts

DUPLICATE_OPPORTUNITY = "duplicate_opportunity"


def load_opportunity(app: CustomerPorts, opportunity_id: UUID) -> Opportunity:
    found = app.load(opportunity_id)
    if not isinstance(found, Opportunity):
        raise OpportunityNotFound(opportunity_id)
    return found


def open_opportunity(app: CustomerPorts, command: OpenOpportunity, rules: str) -> Opportunity:
    """One attempt at opening; OpportunityRefused when a block rule finds the project."""
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    ownership, _ = opened(app, customer.id, context)
    app.guard_sales_data(customer.id, command, "open_opportunity")
    ownership = may_change(app, ownership, command.actor)
    actor = command.actor
    owner = actor if ownership.may_change_sales_data(actor) else ownership.owner
    assert owner is not None
    config = app.config.opportunities
    opportunity = Opportunity.open(
        app.new_id(),
        customer_id=customer.id,
        owner=owner,
        title=command.title,
        product_category=command.product_category,
        need=command.need,
        amount=command.amount,
        expected_close=command.expected_close.isoformat() if command.expected_close else None,
        stage=config.stages[0].name,
        details={k: v for k, v in command.details.items() if v is not None},
        rules=rules,
        context=context,
    )
    saved: list[Aggregate] = [opportunity, ownership]
    same = _same_project(app, customer.id, opportunity)
    if same is not None:
        block = config.duplicate_mode is DuplicateOpportunityMode.BLOCK
        collision = _collision(app, opportunity, same, actor, refused=block, context=context)
        if block:
            app.save(collision)
            raise OpportunityRefused(
                DUPLICATE_OPPORTUNITY,
                f"suspected same project: continue in {same.original.id} "
                f"({same.original.title}, {same.original.owner})",
                original=same.original.id,
            )
        opportunity.suspect_duplicate(same.original.id, same.evidence, context)
        saved.append(collision)
    record_opportunity(app, ownership, str(opportunity.id), owner, "open", context)
    app.save(*saved)
    return opportunity


def _same_project(
    app: CustomerPorts, customer_id: UUID, new: Opportunity
) -> SameProject | None:
    """The open opportunity of the customer or its group that ``new`` duplicates."""
    group_id, members = members_of(app, customer_id)
    ownerships = app.load_many([ownership_id(member) for member in sorted(members, key=str)])
    ids = sorted(
        {
            UUID(opportunity_id)
            for found in ownerships.values()
            if isinstance(found, Ownership)
            for opportunity_id in found.opportunities
            if _is_uuid(opportunity_id)
        },
        key=str,
    )
    others = [o for o in app.load_many(ids).values() if isinstance(o, Opportunity)]
    return same_project(new, others, app.config.opportunities, group_id)


def _is_uuid(text: str) -> bool:
    """Ids noted through the old ``note_opportunity`` may be any text."""
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _collision(
    app: CustomerPorts,
    opportunity: Opportunity,
    same: SameProject,
    actor: str,
    *,
    refused: bool,
    context: EventContext,
) -> Collision:
    return Collision.record(
        app.new_id(),
        customer_id=opportunity.customer_id,
        rep=actor,
        attempted="open_opportunity",
        rule=DUPLICATE_OPPORTUNITY,
        other_party=same.original.owner,
        lost_race=False,
        refused=refused,
        detail={
            "original": str(same.original.id),
            "opportunity": str(opportunity.id),
            **same.evidence,
        },
        context=context,
    )


def update_opportunity(app: CustomerPorts, command: UpdateOpportunity) -> bool:
    """One attempt at an update; False when it changes nothing."""
    opportunity = load_opportunity(app, command.opportunity_id)
    customer = app.live_customer(opportunity.customer_id)
    app.guard_sales_data(customer.id, command, "update_opportunity")
    if opportunity.status != "open":
        raise OpportunityRefused("closed", f"the opportunity is closed ({opportunity.stage})")
    changed = opportunity.update(command.changes(), app.context_of(command))
    if changed:
        app.save(opportunity)
    return changed


def advance_opportunity(
    app: CustomerPorts, command: AdvanceOpportunity, rules: str
) -> Opportunity:
    """One attempt at a stage move; a refusal is recorded on the opportunity and raised."""
    opportunity = load_opportunity(app, command.opportunity_id)
    customer = app.live_customer(opportunity.customer_id)
    app.guard_sales_data(customer.id, command, "advance_opportunity")
    context = app.context_of(command)
    ownership = load_ownership(app, customer.id)
    config = app.config.opportunities
    if command.details:
        opportunity.update(dict(command.details), context)
    facts = set()
    if ownership is not None and ownership.deals_won > 0:
        facts.add(SkipCondition.REPEAT_CUSTOMER)
    try:
        move = plan_move(config, opportunity.stage, command.to, opportunity.fields, facts)
    except OpportunityRefused as refusal:
        # Nothing of the command is kept but the refusal itself.
        fresh = load_opportunity(app, command.opportunity_id)
        fresh.refuse(command.to, refusal.rule, refusal.missing, rules, context)
        app.save(fresh)
        raise
    stage = config.stage(move.to_stage)
    assert stage is not None
    status = stage.outcome.value
    opportunity.advance(
        to_stage=move.to_stage,
        passed=move.passed,
        via=move.via,
        status=status,
        rules=rules,
        context=context,
    )
    saved: list[Aggregate] = [opportunity]
    if stage.outcome is not StageOutcome.OPEN and ownership is not None:
        record_opportunity(app, ownership, str(opportunity.id), opportunity.owner, status, context)
        saved.append(ownership)
    app.save(*saved)
    return opportunity
