"""owner_at(T, as known at K): the owner, protection and evidence at any moment, as the
system knew it at any later moment - equal to what the live system said then."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CrmApplication, ManualClock, MergeCustomers, ValidationFailed, parse_command
from crmcore.audit.queries import OwnerAtQuery
from crmcore.domain.ownership import ownership_id
from crmcore.errors import CustomerNotFound
from tests.conftest import START, all_events, hire
from tests.unit.audit.helpers import (
    ONE_SECOND,
    REPS,
    act,
    new_customer,
    office,
    owner_at,
    staff,
    transfer,
)
from tests.unit.leads.test_conversion import HOT, capture, convert
from tests.unit.test_claim_rules import claim, follow_up


def claimed_by_li(clock: ManualClock) -> tuple[CrmApplication, UUID]:
    """An office with one customer, claimed by li now."""
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    claim(app, cid, "li")
    return app, cid


STEPS = st.tuples(
    st.sampled_from(["claim", "release", "follow_up", "transfer", "share", "sweep"]),
    st.sampled_from(REPS),
)


def _live(app: CrmApplication, cid: Any) -> dict[str, Any]:
    record = app.ownership(cid)
    owned = record.owner is not None
    return {
        "owner": record.owner,
        "status": "owned" if owned else "pool" if record.in_pool else "unassigned",
        "protected_until": record.protected_until if owned else None,
        "collaborators": record.collaborators if owned else {},
    }


def _replayed(
    app: CrmApplication, cid: Any, at: datetime, known: datetime | None
) -> dict[str, Any]:
    answer = owner_at(app, cid, at, known)
    return {
        "owner": answer.owner,
        "status": answer.status,
        "protected_until": answer.protected_until,
        "collaborators": answer.collaborators,
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(STEPS, st.integers(1, 24 * 12)), min_size=1, max_size=14))
def test_owner_at_every_boundary_is_what_the_live_ownership_said_then(
    history: list[tuple[tuple[str, str], int]],
) -> None:
    clock = ManualClock(START)
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    seen: list[tuple[datetime, dict[str, Any]]] = []
    for step, hours in history:
        act(app, cid, step)
        seen.append((clock.now(), _live(app, cid)))
        clock.advance(hours=hours)
    for moment, live in seen:
        assert _replayed(app, cid, moment, moment) == live, moment
    # Nothing recorded later is back-dated past a boundary here, so knowing more changes
    # nothing about those moments either.
    for moment, live in seen:
        if not any(e.timestamp > moment >= e.occurred_at for e in all_events(app)):
            assert _replayed(app, cid, moment, None) == live, moment


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(STEPS, st.integers(1, 24 * 5)), min_size=1, max_size=10),
    st.integers(1, 24 * 20),
    st.sampled_from(REPS),
)
def test_a_late_entry_changes_what_is_known_now_but_not_what_was_known_before_it(
    history: list[tuple[tuple[str, str], int]], hours_back: int, to: str
) -> None:
    clock = ManualClock(START)
    app, cid = claimed_by_li(clock)
    moments = [clock.now()]
    for step, hours in history:
        act(app, cid, step)
        moments.append(clock.now())
        clock.advance(hours=hours)
    before = clock.now()
    answers = {m: _replayed(app, cid, m, before) for m in moments}
    clock.advance(hours=1)
    # An ownership's timeline reads forwards: a late entry may not precede its last change.
    last_change = max(e.occurred_at for e in app.history(ownership_id(cid)))
    back_to = max(clock.now() - timedelta(hours=hours_back), last_change + ONE_SECOND)
    owner = app.ownership(cid).owner
    if owner is None or owner == to:
        return
    transfer(app, cid, to, occurred_at=back_to, reason="entered late")
    for moment in moments:
        assert _replayed(app, cid, moment, before) == answers[moment]
    now_known = owner_at(app, cid, clock.now())
    assert now_known.owner == to
    late = [e for e in now_known.evidence if e.event == "ownership.transferred"]
    assert late
    assert late[-1].backdated_by is not None


def test_owner_at_names_the_owner_the_protection_and_the_events_behind_them(
    clock: ManualClock,
) -> None:
    app, cid = claimed_by_li(clock)
    clock.advance(days=2)
    follow_up(app, cid, "li")
    clock.advance(days=1)
    answer = owner_at(app, cid, clock.now())
    assert (answer.status, answer.owner, answer.began_how, answer.protected) == (
        "owned", "li", "claimed", True)
    assert answer.protected_until == START + timedelta(days=2 + 30)
    assert [e.event for e in answer.evidence] == ["ownership.claimed", "ownership.followed_up"]
    assert answer.evidence[1].facts["protected_until"] == answer.protected_until.isoformat()
    # The evidence carries no personal data: a follow-up's content stays in the store.
    assert "content" not in answer.evidence[1].facts
    before = owner_at(app, cid, START - timedelta(hours=1))
    assert (before.status, before.owner) == ("not_yet_registered", None)


def test_a_back_dated_transfer_is_seen_from_when_it_happened_once_it_is_known(
    clock: ManualClock,
) -> None:
    app, cid = claimed_by_li(clock)
    clock.advance(days=5)
    known_before = clock.now()
    clock.advance(hours=1)
    transfer(app, cid, "wang", occurred_at=START + timedelta(days=2), reason="agreed on day 2")
    day3 = START + timedelta(days=3)
    assert owner_at(app, cid, day3, known_before).owner == "li"
    now = owner_at(app, cid, day3)
    assert now.owner == "wang"
    assert now.evidence[-1].backdated_by == timedelta(days=3, hours=1)
    assert owner_at(app, cid, START + timedelta(days=1)).owner == "li"


def test_a_merged_record_answers_for_its_survivor_and_says_so(clock: ManualClock) -> None:
    app = office(clock)
    staff(app)
    survivor, absorbed = new_customer(app, 1), new_customer(app, 2)
    claim(app, survivor, "wang")
    claim(app, absorbed, "li")
    clock.advance(days=1)
    app.merge_customers(parse_command(MergeCustomers, {
        "actor": "boss", "survivor_id": survivor, "absorbed_id": absorbed,
        "reason": "the same company entered twice"}))
    answer = owner_at(app, absorbed, clock.now())
    assert (answer.answered_for, answer.owner) == (survivor, "wang")
    assert answer.redirects == (f"merged into {survivor}",)
    assert answer.evidence[-1].event == "customer.merged_into"
    # Before the merge it was a customer of its own, owned by li.
    assert owner_at(app, absorbed, START + timedelta(hours=1)).owner == "li"


def test_unknown_customers_and_knowledge_from_the_future_are_refused_by_name(
    clock: ManualClock,
) -> None:
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    with pytest.raises(CustomerNotFound):
        owner_at(app, UUID(int=7), clock.now())
    with pytest.raises(CustomerNotFound):  # nothing of it was known then
        owner_at(app, cid, clock.now(), START - timedelta(days=1))
    with pytest.raises(ValidationFailed) as refused:
        owner_at(app, cid, clock.now(), clock.now() + timedelta(days=1))
    assert refused.value.field == "as_known_at"
    with pytest.raises(ValidationFailed) as ahead:
        owner_at(app, cid, clock.now() + timedelta(days=7))
    assert ahead.value.field == "at"
    with pytest.raises(ValidationFailed) as bad:
        parse_command(OwnerAtQuery, {"customer_id": str(cid), "at": "yesterday"})
    assert bad.value.field == "at"


def test_back_dating_beyond_the_window_is_refused_and_changes_nothing(
    clock: ManualClock,
) -> None:
    app, cid = claimed_by_li(clock)
    clock.advance(days=40)
    before = len(all_events(app))
    with pytest.raises(ValidationFailed) as refused:
        transfer(app, cid, "wang", occurred_at=clock.now() - timedelta(days=31))
    assert refused.value.field == "occurred_at"
    assert "backdate_window_days" in str(refused.value)
    assert len(all_events(app)) == before


def test_a_converted_lead_answers_for_its_customer_and_before_that_for_itself(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    lead = capture(app, **HOT)
    captured_at = clock.now()
    clock.advance(hours=2)
    done = convert(app, lead.lead_id, "li")
    now = owner_at(app, lead.lead_id, clock.now())
    assert (now.answered_for, now.owner) == (done.customer_id, "li")
    assert now.redirects == (f"converted into {done.customer_id}",)
    assert "ownership.handed_over" in [e.event for e in now.evidence]
    then = owner_at(app, lead.lead_id, captured_at)
    assert (then.answered_for, then.owner, then.redirects) == (lead.lead_id, "li", ())
