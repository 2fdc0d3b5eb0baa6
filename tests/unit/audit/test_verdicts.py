"""Dispute verdicts: the rule applied, the evidence, why each claimant lost - and the
same bytes for the same history, whatever the rules say today."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CrmApplication, ManualClock, ValidationFailed, parse_command
from crmcore.audit.queries import SettleDispute
from crmcore.leads.commands import CaptureLead
from crmcore.orders.commands import RecordPayment, SignOrder
from tests.conftest import START, register, sqlite_env
from tests.e2e.test_cli import crm
from tests.unit.audit.helpers import act, new_customer, office, settle, share, staff, transfer
from tests.unit.audit.test_owner_at import STEPS
from tests.unit.test_claim_rules import claim, follow_up

PHONE = "13800138000"


def touched_by_two(app: CrmApplication, clock: ManualClock) -> UUID:
    """li enters the customer (nobody owns it: registrants do not become owners here);
    a day later wang's lead form matches it."""
    cid = register(app, actor="li", company_name="北京星河数据科技有限公司", phone=PHONE)
    clock.advance(days=1)
    app.capture_lead(parse_command(CaptureLead, {"actor": "wang", "channel": "phone",
                                                 "phone": PHONE}))
    return cid


def test_a_protected_owner_wins_and_the_other_claimant_is_told_why(clock: ManualClock) -> None:
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    claim(app, cid, "li")
    clock.advance(days=3)
    follow_up(app, cid, "li")
    verdict = settle(app, cid, clock.now(), "wang", "li")
    assert (verdict.winner, verdict.rule) == ("li", "protection")
    assert verdict.claimants == ("li", "wang")
    assert "protected (followed_up)" in verdict.why
    assert verdict.losers == {
        "wang": "it was li's and protected: nobody else could claim or be given it"}
    # The claim and the rules' adoption were one command: same times, ordered by id.
    assert sorted(e.event for e in verdict.evidence[:2]) == [
        "ownership.claimed", "rule_set.started"]
    assert verdict.evidence[2].event == "ownership.followed_up"
    adopted = next(e for e in verdict.evidence if e.event == "rule_set.started")
    assert verdict.rule_set_version == adopted.facts["rule_set_version"]
    again = settle(app, cid, clock.now(), "li", "wang")
    assert again.canonical() == verdict.canonical()
    assert again.digest == verdict.digest
    assert json.loads(verdict.canonical()) == verdict.body()


def test_an_unprotected_owner_keeps_it_until_it_is_taken_back(clock: ManualClock) -> None:
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    claim(app, cid, "li")
    follow_up(app, cid, "li")
    clock.advance(days=40)  # protection over, the sweeper has not run
    verdict = settle(app, cid, clock.now())
    assert (verdict.winner, verdict.rule) == ("li", "claim_order")
    assert "nobody had taken it back" in verdict.why
    app.sweep()
    after = settle(app, cid, clock.now())
    assert (after.winner, after.rule) == (None, "no_right")
    assert after.evidence[-1].event == "ownership.recycled"


def test_the_first_valid_touch_decides_when_nobody_owns_it(clock: ManualClock) -> None:
    app = office(clock, registrant_becomes_owner=False)
    staff(app)
    cid = touched_by_two(app, clock)
    verdict = settle(app, cid, clock.now())
    assert (verdict.winner, verdict.rule) == ("li", "first_valid_touch")
    assert verdict.losers["wang"].startswith("their first valid touch at")
    assert [e.event for e in verdict.evidence] == ["customer.registered", "customer.lead_touched"]
    # Past the new-customer protection of the rules in force, a touch gives no right.
    clock.advance(days=6, hours=1)  # li's touch is over 7 days old, wang's 6
    moved_on = settle(app, cid, clock.now())
    assert (moved_on.winner, moved_on.rule) == ("wang", "first_valid_touch")
    clock.advance(days=2)
    assert settle(app, cid, clock.now()).rule == "no_right"


def test_a_rule_change_does_not_change_a_verdict_on_an_earlier_moment(
    tmp_path: Path, clock: ManualClock
) -> None:
    env = sqlite_env(tmp_path / "crm.db")
    before = office(clock, env, registrant_becomes_owner=False, new_protection_days=7)
    staff(before)
    cid = touched_by_two(before, clock)
    claim(before, new_customer(before, 9), "zhao")  # adopts the 7-day rules
    day5 = START + timedelta(days=5)
    clock.set(day5 + timedelta(hours=1))
    first = settle(before, cid, day5)
    assert (first.winner, first.rule) == ("li", "first_valid_touch")
    before.close()

    after = office(clock, env, registrant_becomes_owner=False, new_protection_days=3)
    claim(after, new_customer(after, 8), "zhao")  # adopts the 3-day rules
    assert settle(after, cid, day5).canonical() == first.canonical()
    # A moment after the change is judged by the new rules: both touches are too old.
    later = settle(after, cid, clock.now())
    assert (later.winner, later.rule) == (None, "no_right")
    assert later.rule_set_version != first.rule_set_version
    after.close()


def test_an_order_is_credited_to_whoever_owned_the_customer_when_it_was_paid(
    clock: ManualClock,
) -> None:
    app = office(clock)
    staff(app)
    cid = register(app, actor="li", company_name="北京星河数据科技有限公司")
    share(app, cid, "li", "zhao")
    order = app.sign_order(parse_command(SignOrder, {
        "actor": "li", "customer_id": cid, "amount": "1,000,000"}))
    clock.advance(days=10)
    paid_at = clock.now()
    clock.advance(days=2)
    transfer(app, cid, "wang")
    clock.advance(days=1)
    app.record_milestone(parse_command(RecordPayment, {
        "actor": "wang", "order_id": order.order_id, "amount": "400,000", "occurred_at": paid_at}))
    verdict = app.settle_dispute(SettleDispute(order_id=order.order_id, claimants=("wang", "li")))
    assert (verdict.winner, verdict.rule) == ("li", "credit_at_payment")
    assert verdict.shares == {"li": 0.7, "zhao": 0.3}
    assert verdict.losers == {"wang": "not an owner or collaborator of the customer when the "
                                      "order was paid"}
    assert verdict.evidence[-1].event == "order.paid"
    assert verdict.evidence[-1].backdated_by == timedelta(days=3)
    assert verdict.notes == ()
    # Before the payment, the signing decides.
    signed = app.settle_dispute(SettleDispute(order_id=order.order_id, claimants=("li",),
                                              at=paid_at - timedelta(days=1)))
    assert (signed.winner, signed.rule) == ("li", "credit_at_milestone")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"claimants": []}, "claimants"),
        ({"claimants": ["li", "li"]}, "claimants"),
        ({"claimants": ["li wang"]}, "claimants"),
        ({"claimants": ["li"], "order_id": "00000000-0000-0000-0000-000000000001"}, "customer_id"),
        ({"claimants": ["li"], "at": "last tuesday"}, "at"),
    ],
)
def test_a_malformed_dispute_is_refused_naming_the_field(
    fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_command(SettleDispute, {"customer_id": "00000000-0000-0000-0000-000000000002",
                                      **fields})
    assert refused.value.field == field


@settings(max_examples=4, deadline=None)
@given(
    st.lists(st.tuples(STEPS, st.integers(1, 24 * 12)), min_size=2, max_size=10),
    st.integers(0, 100),
)
def test_a_verdict_is_the_same_bytes_in_another_process(
    history: list[tuple[tuple[str, str], int]], when: int
) -> None:
    with tempfile.TemporaryDirectory() as where:
        db = Path(where) / "crm.db"
        clock = ManualClock(START)
        app = office(clock, sqlite_env(db))
        staff(app)
        cid = new_customer(app)
        for step, hours in history:
            act(app, cid, step)
            clock.advance(hours=hours)
        at = START + (clock.now() - START) * when / 100
        known = START + (clock.now() - START) * (when // 2) / 100 + timedelta(hours=1)
        here = settle(app, cid, at, "li", "wang", "zhao", known=known)
        app.close()
        there = crm("audit", "dispute", str(cid), "--claimant", "zhao", "--claimant", "li",
                    "--claimant", "wang", "--at", at.isoformat(), "--as-known-at",
                    known.isoformat(), "--json", "--db", str(db), cwd=Path(where))
        assert there.returncode == 0, there.stderr
        assert json.loads(there.stdout)["digest"] == here.digest
