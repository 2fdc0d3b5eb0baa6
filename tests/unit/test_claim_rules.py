"""Claiming from the pool (公海领取): one test per rule, each named for the rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from crmcore import (
    AssignCustomer,
    ClaimCustomer,
    CrmApplication,
    CrmConfig,
    ManualClock,
    NoteOpportunity,
    OwnershipRefused,
    RecordFollowUp,
    ReleaseCustomer,
    RepLeaves,
    parse_command,
)
from crmcore.config import DedupMode
from crmcore.domain import Collision
from tests.conftest import START, all_events, hire, register, registration, sqlite_env


def claim(app: CrmApplication, customer_id: UUID, rep: str) -> str:
    command = parse_command(ClaimCustomer, {"actor": rep, "customer_id": customer_id, "rep": rep})
    return app.claim_customer(command).owner


def refusal(app: CrmApplication, customer_id: UUID, rep: str) -> OwnershipRefused:
    with pytest.raises(OwnershipRefused) as raised:
        claim(app, customer_id, rep)
    return raised.value


def release(app: CrmApplication, customer_id: UUID, rep: str) -> None:
    app.release_customer(parse_command(ReleaseCustomer, {
        "actor": rep, "customer_id": customer_id, "rep": rep, "reason": "不是我们的目标客户"}))


def follow_up(app: CrmApplication, customer_id: UUID, rep: str, **fields: Any) -> None:
    now = app.clock.now()
    app.record_follow_up(parse_command(RecordFollowUp, {
        "actor": rep, "customer_id": customer_id, "rep": rep, "channel": "phone",
        "content": "介绍了产品方案和报价", "outcome": "客户有意向，约了演示",
        "next_contact_at": now + timedelta(days=3), **fields}))


@pytest.fixture
def pool(app: CrmApplication) -> list[UUID]:
    """Five unowned customers (entered by an import job, not a rep) and three reps."""
    hire(app, "li", "wang", "zhao", team="north")
    return [register(app, actor="importer", company_name=f"测试{n}号贸易有限公司",
                    phone=f"1380013800{n}") for n in range(5)]


def test_an_unowned_customer_is_claimed(app: CrmApplication, pool: list[UUID]) -> None:
    assert claim(app, pool[0], "li") == "li"
    record = app.ownership(pool[0])
    assert (record.owner, record.protection) == ("li", "new")
    assert record.respond_by == app.clock.now() + timedelta(hours=24)


def test_claim_is_refused_while_another_rep_is_protected(
    app: CrmApplication, pool: list[UUID]
) -> None:
    claim(app, pool[0], "li")
    refused = refusal(app, pool[0], "wang")
    assert (refused.rule, refused.other_party) == ("protected", "li")
    assert refused.until == app.ownership(pool[0]).protected_until


def test_claim_is_refused_while_owned_after_protection_ran_out_before_the_sweep(
    app: CrmApplication, pool: list[UUID], clock: ManualClock
) -> None:
    claim(app, pool[0], "li")
    follow_up(app, pool[0], "li")
    clock.advance(days=31)
    refused = refusal(app, pool[0], "wang")
    assert (refused.rule, refused.other_party) == ("owned", "li")


def test_claim_is_refused_for_the_rep_who_already_owns_it(
    app: CrmApplication, pool: list[UUID]
) -> None:
    claim(app, pool[0], "li")
    assert refusal(app, pool[0], "li").rule == "already_owner"


def test_claim_is_refused_for_a_duplicate_of_a_customer_another_rep_owns(
    app: CrmApplication, pool: list[UUID]
) -> None:
    owned = register(app, actor="wang", company_name="北京星河科技有限公司")
    (entered,) = app.register_customers(  # an import path configured to warn, not block
        [registration(actor="importer", company_name="北京星河科技有限公司")],
        mode=DedupMode.WARN)
    twin = entered.customer_id
    assert entered.outcome == "warned"
    assert app.owner_of(owned) == "wang"
    refused = refusal(app, twin, "li")
    assert (refused.rule, refused.other_party) == ("duplicate_owned", "wang")
    assert str(owned) in str(refused)


def test_claim_is_refused_while_another_rep_holds_an_open_opportunity(
    app: CrmApplication, pool: list[UUID]
) -> None:
    claim(app, pool[0], "wang")
    app.note_opportunity(parse_command(NoteOpportunity, {
        "actor": "wang", "customer_id": pool[0], "opportunity_id": "opp-1", "rep": "wang",
        "status": "open"}))
    release(app, pool[0], "wang")
    refused = refusal(app, pool[0], "li")
    assert (refused.rule, refused.other_party) == ("opportunity_held", "wang")


def test_claim_is_refused_over_the_daily_claim_quota(
    app: CrmApplication, pool: list[UUID], clock: ManualClock
) -> None:
    for customer in pool[:3]:
        claim(app, customer, "li")
    refused = refusal(app, pool[3], "li")
    assert refused.rule == "daily_quota"
    clock.advance(days=1)  # a new day in Asia/Shanghai
    assert claim(app, pool[3], "li") == "li"


def test_claim_quota_days_are_business_days_in_the_configured_time_zone(
    app: CrmApplication, pool: list[UUID], clock: ManualClock
) -> None:
    # The fixture's clock is 09:00 UTC = 17:00 in Shanghai; 16:00 UTC is past midnight there.
    for customer in pool[:3]:
        claim(app, customer, "li")
    clock.advance(hours=7)
    assert claim(app, pool[3], "li") == "li"


def test_claim_is_refused_at_capacity(
    app: CrmApplication, pool: list[UUID]
) -> None:
    hire(app, "sun", capacity=1)
    claim(app, pool[0], "sun")
    refused = refusal(app, pool[1], "sun")
    assert (refused.rule, refused.other_party) == ("capacity", "sun")


def test_claim_is_refused_within_cooldown(
    app: CrmApplication, pool: list[UUID], clock: ManualClock
) -> None:
    claim(app, pool[0], "li")
    release(app, pool[0], "li")
    refused = refusal(app, pool[0], "li")
    assert refused.rule == "cooldown"
    assert refused.until == clock.now() + timedelta(days=7)
    assert claim(app, pool[0], "wang") == "wang", "the cool-down binds the rep who let go"


def test_claim_is_allowed_again_after_the_cooldown(
    app: CrmApplication, pool: list[UUID], clock: ManualClock
) -> None:
    claim(app, pool[0], "li")
    release(app, pool[0], "li")
    clock.advance(days=7, seconds=1)
    assert claim(app, pool[0], "li") == "li"


def test_claim_is_refused_for_a_rep_who_is_leaving(app: CrmApplication, pool: list[UUID]) -> None:
    app.rep_leaves(parse_command(RepLeaves, {"actor": "admin", "rep_id": "zhao", "to_pool": True}))
    assert refusal(app, pool[0], "zhao").rule == "rep_inactive"


def test_claims_are_checked_in_the_order_the_spec_lists(
    app: CrmApplication, pool: list[UUID]
) -> None:
    """Over quota and at capacity, a protected customer is still refused as protected."""
    hire(app, "sun", capacity=3)
    for customer in pool[:3]:
        claim(app, customer, "sun")
    claim(app, pool[3], "li")
    assert refusal(app, pool[3], "sun").rule == "protected"
    assert refusal(app, pool[4], "sun").rule == "daily_quota"


def test_every_refusal_is_recorded_as_a_collision_naming_the_other_party(
    app: CrmApplication, pool: list[UUID]
) -> None:
    claim(app, pool[0], "li")
    refusal(app, pool[0], "wang")
    refusal(app, pool[0], "zhao")
    recorded = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(e.rep, e.rule, e.other_party, e.refused) for e in recorded] == [
        ("wang", "protected", "li", True), ("zhao", "protected", "li", True)]
    assert all(e.customer_id == pool[0] and e.attempted == "claim" for e in recorded)


def test_a_supervisor_assigns_but_a_rep_may_not_hand_out_customers(
    app: CrmApplication, pool: list[UUID]
) -> None:
    hire(app, "boss", team="north", supervisor=True)
    with pytest.raises(OwnershipRefused) as raised:
        app.assign_customer(parse_command(AssignCustomer, {
            "actor": "li", "customer_id": pool[0], "rep": "li"}))
    assert raised.value.rule == "not_supervisor"
    change = app.assign_customer(parse_command(AssignCustomer, {
        "actor": "boss", "customer_id": pool[0], "rep": "li"}))
    assert (change.owner, change.rule) == ("li", "manual")


@pytest.fixture
def strict_app(clock: ManualClock) -> CrmApplication:
    config = CrmConfig.model_validate({"ownership": {"daily_claim_quota": 0}})
    return CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                          config=config)


def test_a_quota_of_zero_closes_the_pool_to_claims(strict_app: CrmApplication) -> None:
    hire(strict_app, "li")
    customer = register(strict_app, actor="importer", company_name="某某贸易有限公司")
    assert refusal(strict_app, customer, "li").rule == "daily_quota"


class _Ticking(ManualClock):
    """A clock that moves a millisecond each time it is read (time passes between a
    command's clock reading and its reads of the store)."""

    def now(self) -> datetime:
        now = super().now()
        self.advance(milliseconds=1)
        return now


def test_a_claim_that_read_a_later_change_is_decided_again_not_refused_as_invalid(
    tmp_path: Path,
) -> None:
    """What CI caught on PostgreSQL: a claim takes its time from the clock, another
    process (whose clock read came later) commits its claim first; reading that change,
    the first claim must lose the race like any other - refused because the customer is
    owned, naming the winner - not be told its time is invalid."""
    env = sqlite_env(tmp_path / "crm.db")
    behind = CrmApplication(env, clock=_Ticking(START))
    ahead = CrmApplication(env, clock=ManualClock(START + timedelta(milliseconds=3)))
    try:
        hire(ahead, "li", "wang")
        cid = register(ahead, actor="importer", company_name="上海东方物流有限公司")
        assert claim(ahead, cid, "wang") == "wang"  # at START + 3 ms
        refused = refusal(behind, cid, "li")  # li's clock reads START, then +1 ms...
        assert refused.rule == "protected"
        assert refused.other_party == "wang"
    finally:
        behind.close()
        ahead.close()
