"""Registering customers: exact identity keys belong to one customer at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    CrmApplication,
    CustomerNotFound,
    DuplicateCustomer,
    IdentityKeyNotHeld,
    ManualClock,
    RemoveIdentityKey,
    ValidationFailed,
    normalise_key,
    parse_command,
)
from crmcore.domain import Customer, DuplicateAttempt
from tests.conftest import START, all_events, event_count, register, registration


def test_a_registered_customer_holds_its_normalised_keys(app: CrmApplication) -> None:
    cid = register(app, company_name="北京某某科技有限公司", contact_name="李雷",
                   phone="138 0013 8000", email="Li.Lei@Example.com",
                   uscc="91110000600037341L", region="北京", source="展会")
    customer = app.get_customer(cid)
    assert customer.company_name == "北京某某科技有限公司"
    assert customer.phones == ("+8613800138000",)
    assert customer.emails == ("li.lei@example.com",)
    assert customer.usccs == ("91110000600037341L",)
    assert (customer.region, customer.source, customer.registered_by) == ("北京", "展会", "rep-1")


def test_a_second_customer_with_the_same_phone_in_another_format_is_refused(
    app: CrmApplication,
) -> None:
    first = register(app, company_name="北京某某科技有限公司", phone="138 0013 8000")
    with pytest.raises(DuplicateCustomer) as raised:
        register(app, company_name="北京某某科技", phone="+86-138-0013-8000")
    assert raised.value.existing_customer_id == first
    assert raised.value.key == "phone:+8613800138000"


def test_a_refused_registration_changes_no_customer_and_is_recorded_as_an_attempt(
    app: CrmApplication,
) -> None:
    existing = register(app, company_name="某某科技", email="sales@x.cn")
    before = app.get_customer(existing)
    with pytest.raises(DuplicateCustomer):
        register(app, company_name="另一家", phone="139 0000 0000", email="SALES@X.CN")
    assert app.get_customer(existing) == before
    assert app.find_customer_by_key(normalise_key("phone", "13900000000")) is None
    attempts = [e for e in all_events(app) if isinstance(e, DuplicateAttempt.Blocked)]
    assert [(a.existing_customer_id, a.rule) for a in attempts] == [(existing, "exact_key")]


def test_each_event_carries_actor_business_time_recording_time_and_reason(
    app: CrmApplication, clock: ManualClock,
) -> None:
    backdated = START - timedelta(days=2)
    cid = app.register_customer(registration(
        company_name="某某科技", phone="13800138000", occurred_at=backdated.isoformat(),
        reason="met at the Canton fair"))
    clock.advance(hours=1)
    app.correct_contact_details(parse_command(CorrectContactDetails, {
        "actor": "rep-2", "customer_id": str(cid), "region": "上海", "reason": "moved"}))
    events = list(app.events.get(cid))
    registered, corrected = events
    assert isinstance(registered, Customer.Registered)
    assert (registered.actor, registered.occurred_at, registered.timestamp) == (
        "rep-1", backdated, START)
    assert registered.reason == "met at the Canton fair"
    assert isinstance(corrected, Customer.ContactDetailsCorrected)
    assert (corrected.actor, corrected.occurred_at, corrected.reason) == (
        "rep-2", START + timedelta(hours=1), "moved")
    assert (corrected.changes, corrected.previous) == ({"region": "上海"}, {"region": None})


def test_business_time_in_the_future_is_refused(app: CrmApplication) -> None:
    future = datetime(2030, 1, 1, tzinfo=UTC).isoformat()
    with pytest.raises(ValidationFailed) as raised:
        register(app, company_name="某某科技", occurred_at=future)
    assert raised.value.field == "occurred_at"
    assert event_count(app) == 0


def test_a_correction_that_changes_nothing_records_nothing(app: CrmApplication) -> None:
    cid = register(app, company_name="某某科技", region="北京")
    before = event_count(app)
    changed = app.correct_contact_details(parse_command(CorrectContactDetails, {
        "actor": "rep-1", "customer_id": str(cid), "region": "北京"}))
    assert changed is False
    assert event_count(app) == before


def test_removing_a_key_releases_it_for_another_customer(app: CrmApplication) -> None:
    first = register(app, company_name="某某科技", phone="13800138000")
    app.remove_identity_key(parse_command(RemoveIdentityKey, {
        "actor": "rep-1", "customer_id": str(first), "kind": "phone", "value": "138 0013 8000",
        "reason": "number reassigned by the carrier"}))
    assert app.get_customer(first).phones == ()
    second = register(app, company_name="另一家", phone="+86 138 0013 8000")
    found = app.find_customer_by_key(normalise_key("phone", "13800138000"))
    assert found is not None
    assert found.customer_id == second


def test_adding_a_key_held_by_another_customer_is_refused(app: CrmApplication) -> None:
    first = register(app, company_name="某某科技", wechat="lilei_1988")
    second = register(app, company_name="另一家")
    with pytest.raises(DuplicateCustomer) as raised:
        app.add_identity_key(parse_command(AddIdentityKey, {
            "actor": "rep-1", "customer_id": str(second), "kind": "wechat", "value": "LILEI_1988"}))
    assert raised.value.existing_customer_id == first
    assert app.get_customer(second).wechats == ()


def test_adding_a_free_key_claims_it(app: CrmApplication) -> None:
    cid = register(app, company_name="某某科技")
    app.add_identity_key(parse_command(AddIdentityKey, {
        "actor": "rep-1", "customer_id": str(cid), "kind": "uscc",
        "value": "91110000600037341l"}))
    assert app.get_customer(cid).usccs == ("91110000600037341L",)
    with pytest.raises(DuplicateCustomer):
        register(app, company_name="冒名", uscc="91110000600037341L")


def test_removing_a_key_the_customer_does_not_hold_is_refused(app: CrmApplication) -> None:
    cid = register(app, company_name="某某科技")
    with pytest.raises(IdentityKeyNotHeld):
        app.remove_identity_key(parse_command(RemoveIdentityKey, {
            "actor": "rep-1", "customer_id": str(cid), "kind": "phone", "value": "13800138000"}))


def test_an_unknown_customer_is_reported_as_not_found(app: CrmApplication) -> None:
    register(app, company_name="某某科技", phone="13800138000")
    index_id = normalise_key("phone", "13800138000").index_id
    with pytest.raises(CustomerNotFound):
        app.get_customer(index_id)  # an index aggregate is not a customer


def test_a_batch_reports_each_command_on_its_own(app: CrmApplication) -> None:
    existing = register(app, company_name="老客户", email="boss@old.cn")
    results = app.register_customers([
        registration(company_name="甲公司", phone="13800138000"),
        registration(company_name="乙公司", email="BOSS@old.cn"),
        registration(company_name="甲公司分部", phone="+86 138-0013-8000"),
        registration(company_name="丙公司", phone="13900139000"),
    ])
    assert [r.outcome for r in results] == ["created", "blocked", "blocked", "created"]
    assert results[1].refusal is not None
    assert results[1].refusal.existing_customer_id == existing
    assert results[2].refusal is not None
    assert results[2].refusal.existing_customer_id == results[0].customer_id
    assert {r.position for r in results} == {0, 1, 2, 3}


def test_a_new_application_on_the_same_store_replays_the_same_customer(
    store_app: CrmApplication, clock: ManualClock,
) -> None:
    cid = register(store_app, company_name="某某科技", phone="13800138000", email="a@b.cn")
    store_app.add_identity_key(parse_command(AddIdentityKey, {
        "actor": "rep-1", "customer_id": str(cid), "kind": "wechat", "value": "abcdef"}))
    store_app.correct_contact_details(parse_command(CorrectContactDetails, {
        "actor": "rep-1", "customer_id": str(cid), "industry": "制造业"}))
    reopened = CrmApplication(store_app.env, clock=ManualClock(START + timedelta(days=9)))
    try:
        assert reopened.get_customer(cid) == store_app.get_customer(cid)
        assert reopened.get_customer(cid).version == 3
    finally:
        reopened.close()


def test_the_bulk_reading_store_decides_a_batch_as_the_plain_one_does(
    app: CrmApplication, store_app: CrmApplication,
) -> None:
    from crmcore.store import ReadsManyAggregates

    assert isinstance(store_app.recorder, ReadsManyAggregates)
    assert not isinstance(app.recorder, ReadsManyAggregates)
    outcomes = []
    for application in (app, store_app):
        first = register(application, company_name="老客户", phone="13800138000")
        application.remove_identity_key(parse_command(RemoveIdentityKey, {
            "actor": "rep-1", "customer_id": str(first), "kind": "phone",
            "value": "13800138000"}))
        register(application, company_name="另一家", email="a@b.cn")
        results = application.register_customers([
            registration(company_name="甲", phone="13800138000"),  # released: free again
            registration(company_name="乙", email="A@B.cn"),  # held
            registration(company_name="丙", phone="+86 138 0013 8000"),  # taken by 甲 above
        ])
        outcomes.append([r.outcome for r in results])
    assert outcomes == [["created", "blocked", "blocked"]] * 2
