"""Ownership as the spec tells it: assignment, follow-ups, protection, the sweeper,
release, transfer, handover and who may change what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from crmcore import (
    AssignCustomer,
    CorrectContactDetails,
    CrmApplication,
    CrmConfig,
    ManualClock,
    OwnershipRefused,
    RepLeaves,
    SetCollaborators,
    TransferCustomer,
    ValidationFailed,
    parse_command,
)
from crmcore.domain import Collision, Ownership, RuleSet, rep_aggregate_id
from tests.conftest import all_events, event_count, hire, register
from tests.unit.test_claim_rules import claim, follow_up, release


def assign(app: CrmApplication, customer_id: UUID, **fields: Any) -> str:
    command = parse_command(AssignCustomer, {"actor": "dispatch", "customer_id": customer_id,
                                             **fields})
    return app.assign_customer(command).owner


def customer(app: CrmApplication, n: int = 0, **fields: Any) -> UUID:
    return register(app, actor="importer", company_name=f"第{n}号测试贸易有限公司", **fields)


def app_with(clock: ManualClock, **ownership: Any) -> CrmApplication:
    config = CrmConfig.model_validate({"ownership": ownership})
    return CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                          config=config)


# -- assignment rules ----------------------------------------------------------------------


def test_the_region_rule_sends_a_customer_to_the_rep_covering_its_city(
    app: CrmApplication,
) -> None:
    hire(app, "li", regions="上海")
    hire(app, "wang", regions="北京;天津")
    assert assign(app, customer(app, region="北京市")) == "wang"
    assert assign(app, customer(app, 1, region="上海")) == "li"


def test_a_filter_nobody_matches_is_skipped_rather_than_leaving_the_customer_unassigned(
    app: CrmApplication,
) -> None:
    hire(app, "li", regions="上海")
    assert assign(app, customer(app, region="拉萨")) == "li"


def test_workload_picks_the_rep_with_fewest_open_customers(app: CrmApplication) -> None:
    hire(app, "a", "b")
    owners = [assign(app, customer(app, n)) for n in range(4)]
    assert owners == ["a", "b", "a", "b"]


def test_round_robin_continues_after_the_last_rep_it_chose(clock: ManualClock) -> None:
    app = app_with(clock, assignment={"picker": "round_robin", "filters": []})
    hire(app, "a", "b", "c")
    claim(app, customer(app, 9), "a")  # claims do not move the round robin
    owners = [assign(app, customer(app, n)) for n in range(4)]
    assert owners == ["a", "b", "c", "a"]


def test_performance_weights_tilt_the_assignment(clock: ManualClock) -> None:
    app = app_with(clock, assignment={"picker": "performance", "filters": []})
    hire(app, "star", weight=3)
    hire(app, "new", weight=1)
    owners = [assign(app, customer(app, n)) for n in range(4)]
    assert owners.count("star") == 3


def test_big_accounts_go_to_senior_reps(app: CrmApplication) -> None:
    hire(app, "junior")
    hire(app, "senior", tier=3)
    hire(app, "senior2", tier=4)
    big = customer(app)
    assert assign(app, big, account_tier="key") in {"senior", "senior2"}
    assert assign(app, customer(app, 1)) == "junior"


def test_product_line_and_channel_rules_can_be_configured(clock: ManualClock) -> None:
    app = app_with(clock, assignment={"filters": ["channel", "product_line"]})
    hire(app, "expo", channels="展会")
    hire(app, "web", channels="官网", product_lines="SaaS")
    assert assign(app, customer(app, source="展会")) == "expo"
    assert assign(app, customer(app, 1), product_line="saas") == "web"


def test_only_active_reps_under_capacity_are_assigned(app: CrmApplication) -> None:
    hire(app, "full", capacity=1)
    hire(app, "gone")
    assign(app, customer(app), rep="full")
    app.rep_leaves(parse_command(RepLeaves, {"actor": "hr", "rep_id": "gone", "to_pool": True}))
    with pytest.raises(OwnershipRefused) as raised:
        assign(app, customer(app, 1))
    assert raised.value.rule == "no_eligible_rep"


def test_assignment_is_deterministic_when_the_history_is_replayed(app: CrmApplication) -> None:
    hire(app, "a", regions="北京")
    hire(app, "b", regions="北京")
    hire(app, "c", regions="上海")
    for n in range(6):
        assign(app, customer(app, n, region="北京" if n % 3 else "上海"))
    from crmcore.ownership.folded_view import SalesView

    events = all_events(app)
    for index, event in enumerate(events):
        if isinstance(event, Ownership.Assigned):
            before = SalesView().apply_all(events[:index])
            chosen = app.assignment.choose(
                before.rep_snapshots(), _facts(app, event.customer_id), before.last_round_robin)
            assert chosen is not None
            assert chosen.rep_id == event.owner


def _facts(app: CrmApplication, customer_id: UUID) -> Any:
    from crmcore.ownership.policies.assignment import CustomerFacts

    record = app.get_customer(customer_id)
    return CustomerFacts(record.region, record.industry, record.source)


def test_a_rep_who_registers_a_customer_owns_it(app: CrmApplication) -> None:
    hire(app, "li")
    cid = register(app, actor="li", company_name="北京星河科技有限公司")
    record = app.ownership(cid)
    assert (record.owner, record.protection) == ("li", "new")
    assert app.get_rep("li").open_count == 1


# -- protection and follow-ups ---------------------------------------------------------------


def test_a_valid_follow_up_renews_protection_for_thirty_days(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    cid = customer(app)
    assign(app, cid)
    clock.advance(days=2)
    follow_up(app, cid, "li")
    record = app.ownership(cid)
    assert (record.protection, record.protected_until) == (
        "followed_up", clock.now() + timedelta(days=30))
    assert record.respond_by is None


@pytest.mark.parametrize("content", ["done", "已跟进", "OK!", "  好的 ", "ab"])
def test_a_bare_done_is_refused_and_extends_nothing(app: CrmApplication, content: str) -> None:
    hire(app, "li")
    cid = customer(app)
    assign(app, cid)
    before = event_count(app)
    with pytest.raises(ValidationFailed) as raised:
        follow_up(app, cid, "li", content=content)
    assert raised.value.field == "content"
    assert event_count(app) == before


def test_a_follow_up_needs_a_next_contact_after_it(app: CrmApplication, clock: ManualClock) -> None:
    hire(app, "li")
    cid = customer(app)
    assign(app, cid)
    with pytest.raises(ValidationFailed) as raised:
        follow_up(app, cid, "li", next_contact_at=clock.now() - timedelta(hours=1))
    assert raised.value.field == "next_contact_at"


def test_contact_by_a_non_owner_is_recorded_as_a_collision_and_renews_nothing(
    app: CrmApplication,
) -> None:
    hire(app, "li", "wang")
    cid = customer(app)
    assign(app, cid, rep="li")
    before = app.ownership(cid)
    follow_up(app, cid, "wang")
    assert app.ownership(cid) == before
    (collision,) = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert (collision.rep, collision.rule, collision.other_party, collision.refused) == (
        "wang", "contact_by_non_owner", "li", False)
    assert collision.detail["channel"] == "phone"


def test_an_open_opportunity_protects_for_sixty_days_and_a_won_deal_for_good(
    app: CrmApplication, clock: ManualClock
) -> None:
    from crmcore import NoteOpportunity

    hire(app, "li")
    cid = customer(app)
    assign(app, cid)

    def note(status: str) -> None:
        app.note_opportunity(parse_command(NoteOpportunity, {
            "actor": "li", "customer_id": cid, "opportunity_id": "o-1", "rep": "li",
            "status": status}))

    note("open")
    assert app.ownership(cid).protected_until == clock.now() + timedelta(days=60)
    clock.advance(days=10)
    note("won")
    record = app.ownership(cid)
    assert (record.protection, record.protected_until, record.open_opportunities) == (
        "won", None, {})
    follow_up(app, cid, "li")
    assert app.ownership(cid).protected_until is None, "a follow-up never shortens it"


# -- the sweeper -----------------------------------------------------------------------------


def test_the_sweeper_recycles_an_expired_protection_with_its_reason(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    cid = customer(app)
    claim(app, cid, "li")
    follow_up(app, cid, "li")
    clock.advance(days=30, seconds=1)
    report = app.sweep()
    assert [(a.action, a.cause, a.previous_owner) for a in report.actions] == [
        ("recycled", "protection_expired", "li")]
    record = app.ownership(cid)
    assert (record.status, record.pool_reason, record.previous_owner) == (
        "in pool", "protection_expired", "li")
    assert [e.customer_id for e in app.pool()] == [cid]
    assert app.get_rep("li").open_count == 0


def test_a_claim_not_contacted_in_time_returns_to_the_pool(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    cid = customer(app)
    claim(app, cid, "li")
    clock.advance(hours=23)
    assert app.sweep().actions == []
    clock.advance(hours=2)
    (action,) = app.sweep().actions
    assert (action.action, action.cause) == ("recycled", "no_first_contact")


def test_the_sweeper_is_idempotent(app: CrmApplication, clock: ManualClock) -> None:
    hire(app, "li")
    for n in range(3):
        claim(app, customer(app, n), "li")
    clock.advance(days=2)
    assert len(app.sweep().actions) == 3
    before = event_count(app)
    assert app.sweep().actions == []
    assert event_count(app) == before


def test_a_missed_response_sla_is_reassigned_by_the_rules(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li", "wang")
    cid = customer(app)
    assign(app, cid, rep="li")
    clock.advance(hours=49)
    (action,) = app.sweep().actions
    assert (action.action, action.previous_owner, action.owner) == ("reassigned", "li", "wang")
    assert app.owner_of(cid) == "wang"
    assert (app.get_rep("li").open_count, app.get_rep("wang").open_count) == (0, 1)


def test_a_missed_response_sla_can_escalate_to_the_supervisor(clock: ManualClock) -> None:
    app = app_with(clock, sla_action="escalate")
    hire(app, "li", team="north")
    hire(app, "boss", team="north", supervisor=True)
    cid = customer(app)
    assign(app, cid, rep="li")
    clock.advance(hours=49)
    (action,) = app.sweep().actions
    assert (action.action, action.owner) == ("escalated", "boss")
    assert app.owner_of(cid) == "li"
    assert app.sweep().actions == [], "escalated once"


def test_a_sweep_in_the_future_is_refused(app: CrmApplication, clock: ManualClock) -> None:
    with pytest.raises(ValidationFailed) as raised:
        app.sweep(clock.now() + timedelta(days=1))
    assert raised.value.field == "now"


def test_the_sweeper_judges_at_the_instant_it_is_given(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    cid = customer(app)
    claim(app, cid, "li")
    clock.advance(days=3)
    assert app.sweep(clock.now() - timedelta(days=2, hours=12)).actions == []
    assert [a.customer_id for a in app.sweep(clock.now()).actions] == [cid]


# -- release, transfer, handover ------------------------------------------------------------


def test_only_the_owner_or_their_supervisor_may_release(app: CrmApplication) -> None:
    hire(app, "li", "wang", team="north")
    cid = customer(app)
    claim(app, cid, "li")
    with pytest.raises(OwnershipRefused) as raised:
        release(app, cid, "wang")
    assert (raised.value.rule, raised.value.other_party) == ("not_owner", "li")
    release(app, cid, "li")
    assert app.ownership(cid).status == "in pool"


def test_a_supervisor_transfers_and_others_are_refused(app: CrmApplication) -> None:
    hire(app, "li", "wang", team="north")
    hire(app, "boss", team="north", supervisor=True)
    hire(app, "other-boss", team="south", supervisor=True)
    cid = customer(app)
    claim(app, cid, "li")

    def transfer(by: str) -> str:
        return app.transfer_customer(parse_command(TransferCustomer, {
            "actor": by, "customer_id": cid, "to": "wang", "by": by})).owner

    for by in ("wang", "other-boss"):
        with pytest.raises(OwnershipRefused) as raised:
            transfer(by)
        assert raised.value.rule == "not_supervisor"
    assert transfer("boss") == "wang"
    assert (app.get_rep("li").open_count, app.get_rep("wang").open_count) == (0, 1)


def test_a_leaving_rep_hands_over_every_customer_most_important_first(
    app: CrmApplication, clock: ManualClock
) -> None:
    from crmcore import NoteOpportunity

    hire(app, "li", "wang")
    cids = [customer(app, n) for n in range(3)]
    for cid in cids:
        assign(app, cid, rep="li")
        clock.advance(minutes=1)
    app.note_opportunity(parse_command(NoteOpportunity, {
        "actor": "li", "customer_id": cids[0], "opportunity_id": "o-1", "rep": "li",
        "status": "open"}))
    moved = app.rep_leaves(parse_command(RepLeaves, {
        "actor": "hr", "rep_id": "li", "handover_to": "wang"}))
    assert moved == [(cids[0], "transferred"), (cids[2], "transferred"),
                     (cids[1], "transferred")]
    assert all(app.owner_of(cid) == "wang" for cid in cids)
    assert app.get_rep("li").status == "left"
    transfers = [e for e in all_events(app) if isinstance(e, Ownership.Transferred)]
    assert len(transfers) == 3
    assert all(e.handover for e in transfers)


def test_a_handover_resumes_after_an_interruption(app: CrmApplication) -> None:
    hire(app, "li", "wang")
    cids = [customer(app, n) for n in range(4)]
    for cid in cids:
        assign(app, cid, rep="li")
    command = parse_command(RepLeaves, {"actor": "hr", "rep_id": "li", "to_pool": True})
    from crmcore.ownership import reps

    reps.start_leaving(app, command, app.context_of(command))
    reps.hand_over_batch(app, "li", cids[:2], app.context_of(command))  # then it crashed
    assert app.get_rep("li").status == "handing over"
    with pytest.raises(OwnershipRefused) as raised:
        app.rep_leaves(parse_command(RepLeaves, {
            "actor": "hr", "rep_id": "li", "handover_to": "wang"}))
    assert raised.value.rule == "handover_in_progress"
    moved = app.rep_leaves(command)
    assert sorted(map(str, (c for c, _ in moved))) == sorted(map(str, cids[2:]))
    assert {app.ownership(c).status for c in cids} == {"in pool"}
    assert app.get_rep("li").status == "left"


# -- permissions and the record of rules -------------------------------------------------


def test_only_owner_collaborators_and_supervisors_change_sales_data(
    app: CrmApplication,
) -> None:
    hire(app, "li", "wang", "zhao", team="north")
    hire(app, "boss", team="north", supervisor=True)
    cid = customer(app)
    claim(app, cid, "li")

    def correct(actor: str, name: str) -> None:
        app.correct_contact_details(parse_command(CorrectContactDetails, {
            "actor": actor, "customer_id": cid, "contact_name": name}))

    with pytest.raises(OwnershipRefused) as raised:
        correct("wang", "王伟")
    assert (raised.value.rule, raised.value.other_party) == ("not_permitted", "li")
    assert app.get_customer(cid).contact_name is None
    app.set_collaborators(parse_command(SetCollaborators, {
        "actor": "li", "customer_id": cid, "by": "li", "shares": {"wang": 0.3}}))
    correct("wang", "王伟")
    correct("boss", "王伟伟")
    with pytest.raises(OwnershipRefused):
        correct("zhao", "赵")
    refused = [e.rep for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert refused == ["wang", "zhao"]


def test_the_rules_in_force_are_adopted_as_an_event_and_named_on_each_decision(
    clock: ManualClock,
) -> None:
    app = app_with(clock, cooldown_days=3)
    hire(app, "li")
    cid = customer(app)
    claim(app, cid, "li")
    (adopted,) = [e for e in all_events(app) if isinstance(e, RuleSet.Adopted)]
    (claimed,) = [e for e in all_events(app) if isinstance(e, Ownership.Claimed)]
    assert adopted.rules["cooldown_days"] == 3
    assert claimed.rule_set_version == adopted.rule_set_version


def test_a_busy_rep_is_read_back_from_a_snapshot_as_it_stands(app: CrmApplication) -> None:
    hire(app, "li", regions="北京", capacity=500)
    for n in range(60):  # past the snapshot interval of 50 events
        assign(app, customer(app, n), rep="li")
    assert app.snapshots is not None
    assert list(app.snapshots.get(rep_aggregate_id("li")))
    rep = app.get_rep("li")
    assert (rep.open_count, rep.profile.regions, rep.profile.capacity) == (60, ("北京",), 500)
