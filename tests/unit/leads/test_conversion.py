"""Lead → customer: the identity check again, ownership and protection handed over in one
save, never two customers for one key."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import (
    CaptureLead,
    CrmApplication,
    CrmConfig,
    DuplicateCustomer,
    LeadRefused,
    ManualClock,
    OwnershipRefused,
    parse_command,
)
from crmcore.domain import Collision, Customer, Ownership, ownership_id
from crmcore.domain.lead import Lead
from crmcore.leads.commands import ConvertLead
from crmcore.leads.config import LeadChannel
from projections.ownership import ownerships, pool
from projections.registry import ALL_VIEWS
from tests.conftest import START, all_events, hire, register, view_rows, views

HOT = {"channel": "referral", "company_name": "北京星河数据科技有限公司", "contact_name": "张伟",
       "phone": "13800138000", "email": "zw@xinghe.cn", "intent": "CRM", "device_id": "fp-1"}


def capture(app: CrmApplication, actor: str = "forms", **fields: Any) -> Any:
    return app.capture_lead(parse_command(CaptureLead, {"actor": actor, **fields}))


def convert(app: CrmApplication, lead_id: UUID, actor: str) -> Any:
    return app.convert_lead(ConvertLead(actor=actor, lead_id=lead_id))


def ownership_of(app: CrmApplication, party_id: UUID) -> Ownership:
    found = app.load(ownership_id(party_id))
    assert isinstance(found, Ownership)
    return found


def test_an_owned_lead_becomes_its_owners_customer_keeping_its_protection(
    app: CrmApplication, clock: ManualClock
) -> None:
    hire(app, "li")
    lead = capture(app, **HOT)
    assert lead.owner == "li"
    protected = ownership_of(app, lead.lead_id).protected_until
    open_before = app.get_rep("li").open_count
    clock.advance(hours=2)
    done = convert(app, lead.lead_id, "li")
    assert (done.outcome, done.owner) == ("created", "li")
    customer = app.get_customer(done.customer_id)
    assert (customer.company_name, customer.phones, customer.emails, customer.source) == (
        "北京星河数据科技有限公司", ("+8613800138000",), ("zw@xinghe.cn",), "referral"
    )
    owned = ownership_of(app, done.customer_id)
    assert owned.owner == "li"
    assert owned.protected_until is not None
    assert protected is not None
    assert owned.protected_until >= protected
    handed = ownership_of(app, lead.lead_id)
    assert (handed.owner, handed.in_pool) == (None, False)
    assert app.get_rep("li").open_count == open_before, "the lead is dropped, the customer taken"
    stored = app.load(lead.lead_id)
    assert isinstance(stored, Lead)
    assert stored.converted_to == done.customer_id
    with pytest.raises(LeadRefused) as again:
        convert(app, lead.lead_id, "li")
    assert (again.value.rule, again.value.customer_id) == ("already_converted", done.customer_id)


def test_a_later_capture_of_the_converted_buyer_touches_the_customer(app: CrmApplication) -> None:
    hire(app, "li")
    lead = capture(app, **HOT)
    done = convert(app, lead.lead_id, "li")
    by_phone = capture(app, channel="phone", phone="138 0013 8000")
    by_device = capture(app, channel="web", device_id="fp-1")
    assert [(r.outcome, r.customer_id, r.owner) for r in (by_phone, by_device)] == [
        ("joined_customer", done.customer_id, "li"), ("joined_customer", done.customer_id, "li")
    ]
    assert by_device.touches == 3


def test_a_lead_whose_key_became_a_customer_is_blocked_by_default(app: CrmApplication) -> None:
    hire(app, "li", "wang")
    lead = capture(app, **HOT)
    # The buyer's company is registered by a colleague meanwhile, with the same e-mail.
    existing = register(app, actor="wang", company_name="星河数据科技（北京）有限公司",
                        email="zw@xinghe.cn")
    before = len(all_events(app))
    with pytest.raises(DuplicateCustomer) as refused:
        convert(app, lead.lead_id, "li")
    assert refused.value.existing_customer_id == existing
    stored = app.load(lead.lead_id)
    assert isinstance(stored, Lead)
    assert stored.converted_to is None
    assert len(all_events(app)) == before + 1, "only the refused attempt is recorded"


def test_in_merge_mode_the_lead_becomes_the_customer_the_check_found(
    clock: ManualClock,
) -> None:
    config = CrmConfig.model_validate({"identity": {"modes": {"conversion": "merge"}}})
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                         config=config)
    hire(app, "li", "wang")
    lead = capture(app, **HOT)
    existing = register(app, actor="wang", company_name="星河数据科技（北京）有限公司",
                        email="zw@xinghe.cn")
    done = convert(app, lead.lead_id, "li")
    assert (done.outcome, done.customer_id, done.owner) == ("merged", existing, "wang")
    assert ownership_of(app, existing).owner == "wang"
    assert ownership_of(app, lead.lead_id).owner is None
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(c.rep, c.other_party, c.attempted) for c in collisions] == [
        ("li", "wang", "convert_lead")
    ]


def test_only_the_owner_converts_an_owned_lead(app: CrmApplication) -> None:
    hire(app, "li", "wang")
    lead = capture(app, **HOT)
    with pytest.raises(OwnershipRefused) as refused:
        convert(app, lead.lead_id, "wang")
    assert (refused.value.rule, refused.value.other_party) == ("not_permitted", "li")
    collisions = [e for e in all_events(app) if isinstance(e, Collision.Recorded)]
    assert [(c.rep, c.attempted, c.customer_id) for c in collisions] == [
        ("wang", "convert_lead", lead.lead_id)
    ]
    stored = app.load(lead.lead_id)
    assert isinstance(stored, Lead)
    assert stored.converted_to is None


def test_a_lead_without_a_name_cannot_become_a_customer(app: CrmApplication) -> None:
    lead = capture(app, channel="ad", device_id="fp-9")
    with pytest.raises(LeadRefused) as refused:
        convert(app, lead.lead_id, "admin")
    assert refused.value.rule == "no_name"


def test_the_ownership_views_follow_a_conversion_and_rebuild_the_same(
    store_app: CrmApplication,
) -> None:
    hire(store_app, "li")
    lead = capture(store_app, **HOT)
    done = convert(store_app, lead.lead_id, "li")
    runner = views(store_app)
    runner.catch_up()
    with runner.engine.connect() as connection:
        owned = {row.customer_id: row.owner for row in connection.execute(ownerships.select())}
        pooled = list(connection.execute(pool.select()))
    assert owned == {str(done.customer_id): "li"}
    assert pooled == []
    incremental = view_rows(runner.engine, ALL_VIEWS)
    runner.rebuild()
    assert view_rows(runner.engine, ALL_VIEWS) == incremental


PHONES = ["13800138000", "13900139000", "13700137000"]
EMAILS = ["a@x.cn", "b@y.cn", "c@z.cn"]
COMPANIES = ["甲乙科技有限公司", "丙丁贸易有限公司", "戊己物流有限公司"]


@st.composite
def steps(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {
        "company_name": draw(st.sampled_from(COMPANIES)),
        "phone": draw(st.none() | st.sampled_from(PHONES)),
        "email": draw(st.none() | st.sampled_from(EMAILS)),
        "device_id": draw(st.none() | st.sampled_from(["fp-1", "fp-2"])),
    }
    if not (fields["phone"] or fields["email"]):
        fields["phone"] = PHONES[0]
    return draw(st.sampled_from(["capture", "register", "convert"])), fields


@settings(max_examples=40, deadline=None)
@given(st.lists(steps(), min_size=1, max_size=10), st.sampled_from(["block", "warn", "merge"]))
def test_conversion_never_yields_two_customers_for_one_identity_key(
    plan: list[tuple[str, dict[str, Any]]], mode: str
) -> None:
    config = CrmConfig.model_validate({"identity": {"modes": {"conversion": mode}}})
    clock = ManualClock(START)
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                         config=config)
    leads: list[UUID] = []
    for step, fields in plan:
        clock.advance(minutes=5)
        if step == "capture":
            result = capture(app, channel=LeadChannel.WEB.value, **fields)
            if result.lead_id is not None:
                leads.append(result.lead_id)
        elif step == "register":
            data = {k: v for k, v in fields.items() if k != "device_id"}
            with contextlib.suppress(DuplicateCustomer):
                register(app, actor="importer", **data)
        else:
            for lead_id in leads:
                with contextlib.suppress(DuplicateCustomer, LeadRefused):
                    convert(app, lead_id, "admin")
    holders: dict[str, set[UUID]] = {}
    for event in all_events(app):
        if isinstance(event, Customer.Registered):
            customer = app.get_customer(event.originator_id)
            for key in (*customer.phones, *customer.emails):
                holders.setdefault(key, set()).add(customer.customer_id)
    assert all(len(ids) == 1 for ids in holders.values()), holders
    converted = [lead for lid in leads if isinstance(lead := app.load(lid), Lead)]
    assert all(
        lead.converted_to is None or app.get_customer(lead.converted_to) for lead in converted
    )
