"""Lead capture: one buyer through four channels is one lead; a customer's buyer is a
touch on the customer; scores are explained and route the lead."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from crmcore import (
    AddRep,
    CaptureLead,
    CrmApplication,
    CrmConfig,
    LeadNotFound,
    ManualClock,
    ValidationFailed,
    parse_command,
)
from crmcore.domain import Collision
from crmcore.domain.lead import Lead
from tests.conftest import all_events, register

BUYER = {"company_name": "北京星河数据科技有限公司", "contact_name": "张伟", "region": "北京"}


def capture(app: CrmApplication, actor: str = "web-form", **fields: Any) -> Any:
    return app.capture_lead(parse_command(CaptureLead, {"actor": actor, **fields}))


def hire(app: CrmApplication, *rep_ids: str, **profile: Any) -> None:
    for rep_id in rep_ids:
        app.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": rep_id, **profile}))


def four_channels() -> list[dict[str, Any]]:
    """The seeds' buyer: a web form, an ad form, an exhibition scan and a referral, each
    sharing one key with the one before (the device, the e-mail, the phone)."""
    return [
        {"channel": "web", **BUYER, "phone": "138 0013 8000", "device_id": "fp-9f2c",
         "intent": "数据中台"},
        {"channel": "ad", "contact_name": "张伟", "device_id": "fp-9f2c",
         "email": "zhang.wei@xinghe.cn", "campaign": "2026双11"},
        {"channel": "exhibition", "company_name": "北京星河数据", "email": "Zhang.Wei@xinghe.cn ",
         "phone": "+86-138-0013-8000", "source_tag": "展会;CIIE"},
        {"channel": "referral", "contact_name": "张伟", "phone": "0086 138 0013 8000"},
    ]


def test_one_buyer_through_four_channels_is_one_lead_with_four_touches(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li", regions="北京")
    results = []
    for fields in four_channels():
        results.append(capture(app, **fields))
        clock.advance(hours=5)
    assert [r.outcome for r in results] == ["created", "joined_lead", "joined_lead", "joined_lead"]
    assert len({r.lead_id for r in results}) == 1
    lead = app.get_lead(results[0].lead_id)
    assert [t.channel for t in lead.touches] == ["web", "ad", "exhibition", "referral"]
    assert [t.at for t in lead.touches] == sorted(t.at for t in lead.touches)
    assert lead.touches[1].campaign == "2026双11"
    assert lead.touches[2].source_tags == ("展会", "CIIE")
    assert set(lead.keys) == {
        "phone:+8613800138000",
        "device:fp-9f2c",
        "email:zhang.wei@xinghe.cn",
    }
    assert lead.owner == "li"
    assert [r.touches for r in results] == [1, 2, 3, 4]
    created = [e for e in all_events(app) if isinstance(e, Lead.Captured)]
    assert len(created) == 1


def test_keys_naming_two_leads_merge_them_into_the_first_touched(
    app: CrmApplication, clock: ManualClock
) -> None:
    _web, _ad, exhibition, referral = four_channels()
    first = capture(app, **{**referral, "phone": None, "email": "zhang.wei@xinghe.cn"})
    clock.advance(hours=1)
    second = capture(app, **{"channel": "phone", "phone": "13800138000"})
    assert first.lead_id != second.lead_id
    clock.advance(hours=1)
    both = capture(app, **exhibition)  # its e-mail names the first, its phone the second
    assert (both.outcome, both.lead_id, both.touches) == ("joined_lead", first.lead_id, 3)
    tombstone = app.load(second.lead_id)
    assert isinstance(tombstone, Lead)
    assert tombstone.merged_into == first.lead_id
    clock.advance(hours=1)
    again = capture(app, **{"channel": "wechat", "phone": "138-0013-8000"})
    assert again.lead_id == first.lead_id, "the moved phone index names the survivor"
    assert [t.channel for t in app.get_lead(first.lead_id).touches] == [
        "referral", "phone", "exhibition", "wechat"
    ]


def test_a_lead_that_is_a_customer_becomes_a_touch_routed_to_its_owner(
    app: CrmApplication,
) -> None:
    hire(app, "li", "wang")
    customer_id = register(app, actor="wang", company_name="上海云帆贸易有限公司",
                           phone="139 0013 9000")
    result = capture(app, actor="li", channel="exhibition", company_name="上海云帆贸易",
                     phone="13900139000")
    assert (result.outcome, result.customer_id, result.lead_id) == (
        "joined_customer", customer_id, None
    )
    assert (result.route, result.owner, result.touches) == ("owner", "wang", 2)
    assert not [e for e in all_events(app) if isinstance(e, Lead.Captured)]
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(c.rep, c.rule, c.other_party, c.refused) for c in collisions] == [
        ("li", "lead_of_owned_customer", "wang", False)
    ]
    # The owner capturing their own customer's enquiry is no collision.
    capture(app, actor="wang", channel="phone", phone="13900139000")
    assert len([e for e in all_events(app) if isinstance(e, Collision.Recorded)]) == 1


def test_a_lead_matching_a_customer_by_name_alone_joins_it_too(app: CrmApplication) -> None:
    customer_id = register(app, actor="importer", company_name="杭州青禾网络科技有限公司",
                           region="杭州", contact_name="陈静")
    result = capture(app, channel="web", company_name="杭州青禾网络科技", region="杭州市",
                     contact_name="陈静", email="cj@qinghe.cn")
    assert (result.outcome, result.customer_id) == ("joined_customer", customer_id)
    assert result.decision.rule != "exact_key"


def test_a_high_score_is_assigned_by_the_rules_and_a_low_one_waits_in_the_pool(
    app: CrmApplication,
) -> None:
    hire(app, "li", regions="上海")
    hire(app, "wang", regions="北京")
    hot = capture(app, channel="referral", **BUYER, phone="13800138000", intent="CRM")
    assert (hot.route, hot.owner) == ("assign", "wang")
    assert hot.score is not None
    assert hot.score >= CrmConfig().leads.assign_at
    cold = capture(app, channel="ad", device_id="fp-cold")
    assert (cold.route, cold.owner) == ("pool", None)
    assert cold.score is not None
    assert cold.score < CrmConfig().leads.assign_at
    assert app.get_lead(cold.lead_id).owner is None


def test_with_no_eligible_rep_a_high_score_waits_in_the_pool(app: CrmApplication) -> None:
    result = capture(app, channel="referral", **BUYER, phone="13800138000", intent="CRM")
    assert (result.route, result.owner) == ("pool", None)


def test_every_score_is_the_sum_of_its_explained_terms(app: CrmApplication) -> None:
    result = capture(app, channel="exhibition", **BUYER, phone="13800138000",
                     email="a@b.cn", wechat="zhangwei88", intent="CRM")
    terms = {t["term"]: t["points"] for t in result.terms}
    assert sum(terms.values()) == result.score
    assert terms == {"phone": 20, "email": 10, "wechat": 10, "company_name": 10,
                     "contact_name": 5, "intent": 20, "channel": 15, "recency": 15}
    assert all(t["why"] for t in result.terms)


def test_an_old_touch_scores_less_for_recency(app: CrmApplication, clock: ManualClock) -> None:
    fresh = capture(app, channel="web", phone="13800138000")
    old_at = clock.now() - timedelta(days=30)  # as old as back-dating allows
    old = capture(app, channel="web", phone="13900139000", occurred_at=old_at)
    recency = [{t["term"]: t["points"] for t in r.terms}.get("recency", 0) for r in (fresh, old)]
    assert recency == [15, 0]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "fax", "phone": "13800138000"}, "channel"),
        ({"channel": "web"}, "phone"),
        ({"channel": "web", "phone": "12"}, "phone"),
        ({"channel": "web", "device_id": "a\x00b"}, "device_id"),
        ({"channel": "web", "phone": "13800138000", "source_tag": "x" * 60}, "source_tag"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    app: CrmApplication, fields: dict[str, Any], field: str
) -> None:
    before = len(all_events(app))
    with pytest.raises(ValidationFailed) as refused:
        capture(app, **fields)
    assert refused.value.field == field
    assert len(all_events(app)) == before


def test_showing_an_unknown_lead_is_not_found(app: CrmApplication) -> None:
    customer_id = register(app, company_name="某某科技有限公司")
    with pytest.raises(LeadNotFound):
        app.get_lead(customer_id)


def test_an_owned_lead_missing_its_response_sla_is_reassigned_by_the_sweeper(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li", "wang")
    result = capture(app, channel="referral", **BUYER, phone="13800138000", intent="CRM")
    first = result.owner
    clock.advance(hours=49)
    report = app.sweep()
    assert [(a.customer_id, a.action, a.cause) for a in report.actions] == [
        (result.lead_id, "reassigned", "sla_missed")
    ]
    assert app.get_lead(result.lead_id).owner not in (None, first)


def test_captures_by_channel_count_each_touch_once(app: CrmApplication) -> None:
    for fields in four_channels():
        capture(app, **fields)
    touched = [e for e in all_events(app) if isinstance(e, Lead.Touched)]
    counts = Counter(e.touch["channel"] for e in touched)
    assert counts == {"ad": 1, "exhibition": 1, "referral": 1}


def test_the_same_arrival_captured_twice_is_recorded_once(
    app: CrmApplication, clock: ManualClock
) -> None:
    customer_id = register(app, company_name="上海云帆贸易有限公司", phone="13900139000")
    at = clock.now()
    arrivals = [
        {"channel": "web", "phone": "13800138000", "device_id": "fp-1", "occurred_at": at},
        {"channel": "phone", "phone": "13900139000", "occurred_at": at},
    ]
    first = [capture(app, **fields) for fields in arrivals]
    count = len(all_events(app))
    clock.advance(hours=1)
    again = [capture(app, **fields) for fields in arrivals]
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]
    assert [(r.lead_id, r.customer_id) for r in again] == [
        (first[0].lead_id, None), (None, customer_id)
    ]
    assert len(all_events(app)) == count
    # Anything new - a key, another business time - is a touch again.
    more = capture(app, **arrivals[0], email="new@x.cn")
    later = capture(app, channel="phone", phone="13900139000")
    assert (more.outcome, more.touches, later.outcome, later.touches) == (
        "joined_lead", 2, "joined_customer", 3
    )
