"""Opportunities on the command path: permissions, protection, recorded refusals, and the
seeds' duplicate-project cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from crmcore import (
    CrmApplication,
    CrmConfig,
    LinkCustomer,
    ManualClock,
    OwnershipRefused,
    SetCollaborators,
    ValidationFailed,
    parse_command,
)
from crmcore.domain import Collision, Ownership, ownership_id
from crmcore.domain.opportunity import Opportunity
from crmcore.domain.rule_set import PIPELINE_RULE_SET_ID, RuleSet
from crmcore.errors import OpportunityRefused
from crmcore.opportunities.commands import (
    AdvanceOpportunity,
    OpenOpportunity,
    UpdateOpportunity,
)
from tests.conftest import START, all_events, hire, register

NEED = "搭建企业数据中台，整合销售和财务数据，预算一百万左右"


def open_(app: CrmApplication, customer_id: UUID, actor: str = "li", **fields: Any) -> Any:
    data = {"title": "数据中台一期", "product_category": "数据中台", "need": NEED, **fields}
    return app.open_opportunity(
        parse_command(OpenOpportunity, {"actor": actor, "customer_id": customer_id, **data})
    )


def advance(app: CrmApplication, opportunity_id: UUID, to: str, actor: str = "li",
            **details: str) -> Any:
    return app.advance_opportunity(parse_command(AdvanceOpportunity, {
        "actor": actor, "opportunity_id": opportunity_id, "to": to, "details": details}))


@pytest.fixture
def book(app: CrmApplication) -> UUID:
    hire(app, "li", "wang")
    return register(app, actor="li", company_name="北京星河数据科技有限公司",
                    phone="13800138000")


def test_an_open_opportunity_protects_its_customer_for_the_owner(
    app: CrmApplication, book: UUID
) -> None:
    before = app.ownership(book).protected_until
    opened = open_(app, book)
    assert (opened.stage, opened.owner, opened.status) == ("initial_contact", "li", "open")
    after = app.ownership(book)
    assert after.protection == "opportunity"
    assert before is not None
    assert after.protected_until is not None
    assert after.protected_until > before
    assert str(opened.opportunity_id) in after.open_opportunities


def test_a_refused_move_names_the_fields_is_recorded_and_changes_nothing_else(
    app: CrmApplication, book: UUID
) -> None:
    opened = open_(app, book)
    with pytest.raises(OpportunityRefused) as refused:
        advance(app, opened.opportunity_id, "proposal", budget_range="50-100万")
    assert refused.value.missing == ["decision_maker"]
    assert "decision_maker" in str(refused.value)
    stored = app.get_opportunity(opened.opportunity_id)
    assert (stored.stage, stored.details) == ("initial_contact", {})
    refusals = [e for e in all_events(app) if isinstance(e, Opportunity.AdvanceRefused)]
    assert [(e.to_stage, e.rule, e.missing) for e in refusals] == [
        ("proposal", "gate", ["decision_maker"])
    ]
    moved = advance(app, opened.opportunity_id, "proposal", budget_range="50-100万",
                    decision_maker="王总")
    assert (moved.stage, moved.details["decision_maker"]) == ("proposal", "王总")


def test_winning_closes_it_and_protects_long_term_then_a_repeat_deal_may_skip(
    app: CrmApplication, book: UUID
) -> None:
    first = open_(app, book)
    advance(app, first.opportunity_id, "proposal", budget_range="100万", decision_maker="王总")
    advance(app, first.opportunity_id, "negotiation", proposal_amount="980000")
    won = advance(app, first.opportunity_id, "won", contract_amount="950000")
    assert (won.status, won.stage) == ("won", "won")
    owned = app.ownership(book)
    assert (owned.protection, owned.protected_until, owned.open_opportunities) == ("won", None, {})
    with pytest.raises(OpportunityRefused) as closed:
        advance(app, first.opportunity_id, "lost", lost_reason="x")
    assert closed.value.rule == "closed"
    # The customer has bought before: a new deal may go straight to negotiation.
    second = open_(app, book, title="二期扩容", product_category="扩容服务", need="二期扩容")
    moved = advance(app, second.opportunity_id, "negotiation", proposal_amount="300000")
    assert moved.stage == "negotiation"
    skipped = [e for e in all_events(app) if isinstance(e, Opportunity.Advanced)][-1]
    assert skipped.via == "skip:repeat_customer"


def test_only_those_who_may_change_the_customer_open_or_move_its_opportunities(
    app: CrmApplication, book: UUID
) -> None:
    with pytest.raises(OwnershipRefused) as refused:
        open_(app, book, actor="wang")
    assert (refused.value.rule, refused.value.other_party) == ("not_permitted", "li")
    opened = open_(app, book)
    with pytest.raises(OwnershipRefused):
        advance(app, opened.opportunity_id, "needs_confirmed", actor="wang")
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(c.rep, c.attempted) for c in collisions] == [
        ("wang", "open_opportunity"), ("wang", "advance_opportunity")
    ]
    unowned = register(app, actor="importer", company_name="上海云帆贸易有限公司")
    with pytest.raises(OwnershipRefused) as nobody:
        open_(app, unowned)
    assert nobody.value.rule == "not_owned"


def test_the_pipeline_in_force_is_recorded_as_a_rule_set(app: CrmApplication, book: UUID) -> None:
    open_(app, book)
    rule_set = app.load(PIPELINE_RULE_SET_ID)
    assert isinstance(rule_set, RuleSet)
    assert rule_set.digest == app.config.opportunities.rule_set_version
    opened = [e for e in all_events(app) if isinstance(e, Opportunity.Opened)]
    assert opened[0].rules == rule_set.digest


def test_updates_change_fields_and_freshen_the_opportunity(
    app: CrmApplication, book: UUID, clock: ManualClock
) -> None:
    opened = open_(app, book)
    clock.advance(days=3)
    command = parse_command(UpdateOpportunity, {
        "actor": "li", "opportunity_id": opened.opportunity_id, "amount": "1,200,000",
        "details": {"competitor": "某竞品"}})
    assert app.update_opportunity(command)
    assert not app.update_opportunity(command)
    stored = app.get_opportunity(opened.opportunity_id)
    assert (stored.amount, stored.details, stored.last_update_at) == (
        "1200000.00", {"competitor": "某竞品"}, clock.now()
    )


# -- the seeds' duplicate-project cases (疑似同一项目，请在原商机继续推进) -----------------


def test_the_same_need_again_is_flagged_naming_the_original(
    app: CrmApplication, book: UUID, clock: ManualClock
) -> None:
    hire(app, "zhao")
    shares = {"actor": "li", "customer_id": book, "by": "li", "shares": {"zhao": 0.3}}
    app.set_collaborators(parse_command(SetCollaborators, shares))
    original = open_(app, book)
    clock.advance(days=2)
    again = open_(app, book, actor="zhao", title="数据平台建设",
                  need="企业数据中台建设：整合财务与销售数据，预算约一百万")
    suspected = [e for e in all_events(app) if isinstance(e, Opportunity.DuplicateSuspected)]
    assert [(e.originator_id, e.original_id) for e in suspected] == [
        (again.opportunity_id, original.opportunity_id)
    ]
    assert suspected[0].evidence["need_similarity"] >= 0.6
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)
                  and e.rule == "duplicate_opportunity"]
    assert [(c.rep, c.other_party, c.refused) for c in collisions] == [("zhao", "li", False)]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ({"product_category": "CRM"}, "another product category"),
        ({"need": "采购一批办公电脑和打印机"}, "another need"),
        ({"details": {"department": "采购部"}}, "another department"),
        ({"expected_close": (START.date() + timedelta(days=400)).isoformat(),
          "opened_later": True}, "periods do not overlap"),
    ],
)
def test_what_is_not_the_same_project(
    app: CrmApplication, book: UUID, clock: ManualClock, second: dict[str, Any], why: str
) -> None:
    first_close = START.date() + timedelta(days=30)
    open_(app, book, expected_close=first_close.isoformat(), details={"department": "技术部"})
    if second.pop("opened_later", False):
        clock.set(clock.now() + timedelta(days=60))
    open_(app, book, **second)
    suspected = [e for e in all_events(app) if isinstance(e, Opportunity.DuplicateSuspected)]
    assert suspected == [], why


def test_a_group_members_project_is_the_same_project(
    app: CrmApplication, book: UUID
) -> None:
    branch = register(app, actor="wang", company_name="星河数据科技（上海）分公司",
                      phone="13900139000")
    app.link_customer(parse_command(LinkCustomer, {
        "actor": "admin", "child_id": branch, "parent_id": book, "relation": "branch"}))
    original = open_(app, book)
    open_(app, branch, actor="wang")
    suspected = [e for e in all_events(app) if isinstance(e, Opportunity.DuplicateSuspected)]
    assert [e.original_id for e in suspected] == [original.opportunity_id]
    assert suspected[0].evidence["same_customer"] is False
    assert suspected[0].evidence["group_id"] is not None


def test_in_block_mode_the_duplicate_is_refused_and_recorded(clock: ManualClock) -> None:
    config = CrmConfig.model_validate({"opportunities": {"duplicate_mode": "block"}})
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                         config=config)
    hire(app, "li")
    customer = register(app, actor="li", company_name="北京星河数据科技有限公司")
    original = open_(app, customer)
    with pytest.raises(OpportunityRefused) as refused:
        open_(app, customer)
    assert (refused.value.rule, refused.value.original) == (
        "duplicate_opportunity", original.opportunity_id
    )
    assert str(original.opportunity_id) in str(refused.value)
    opened = [e for e in all_events(app) if isinstance(e, Opportunity.Opened)]
    assert len(opened) == 1
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(c.rule, c.refused) for c in collisions] == [("duplicate_opportunity", True)]
    ownership = app.load(ownership_id(customer))
    assert isinstance(ownership, Ownership)
    assert list(ownership.opportunities) == [str(original.opportunity_id)]


def test_bad_input_names_the_field(app: CrmApplication, book: UUID) -> None:
    for fields, field in (
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"details": {"Bad Name": "x"}}, "details"),
        ({"title": ""}, "title"),
        ({"expected_close": "someday"}, "expected_close"),
    ):
        with pytest.raises(ValidationFailed) as invalid:
            open_(app, book, **fields)
        assert invalid.value.field == field, fields
    assert not [e for e in all_events(app) if isinstance(e, Opportunity.Opened)]
