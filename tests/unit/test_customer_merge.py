"""Merging two customers into one, commands on tombstones, and undoing a merge."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    CrmApplication,
    DuplicateCustomer,
    MergeCustomers,
    MergeRefused,
    RemoveIdentityKey,
    SplitCustomer,
    ValidationFailed,
    normalise_key,
    parse_command,
)
from crmcore.config import DedupMode
from tests.conftest import directory_rows, event_count, register, registration

PHONE_A = normalise_key("phone", "13800138000")
PHONE_B = normalise_key("phone", "13900139000")


def merge(app: CrmApplication, survivor: UUID, absorbed: UUID, **extra: Any) -> UUID:
    command = parse_command(
        MergeCustomers,
        {"actor": "mgr-1", "survivor_id": survivor, "absorbed_id": absorbed,
         "reason": "same company entered twice", **extra},
    )
    return app.merge_customers(command)


def split(app: CrmApplication, tombstone: UUID) -> UUID:
    command = parse_command(
        SplitCustomer, {"actor": "mgr-1", "tombstone_id": tombstone, "reason": "not the same"}
    )
    return app.split_customer(command)


def register_warned(app: CrmApplication, **fields: Any) -> UUID:
    """Registers in warn mode: the duplicate gets in, as with data entered before the rules."""
    (result,) = app.register_customers([registration(**fields)], mode=DedupMode.WARN)
    assert result.refusal is None
    return result.customer_id


@pytest.fixture
def pair(app: CrmApplication) -> tuple[UUID, UUID]:
    survivor = register(app, company_name="北京星河科技有限公司", phone="13800138000")
    absorbed = register_warned(app, company_name="星河科技(北京)", contact_name="王伟",
                               phone="13900139000", email="wang@xinghe.cn", industry="软件")
    return survivor, absorbed


def test_a_merge_moves_the_keys_and_fills_only_what_the_survivor_lacked(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    assert merge(app, survivor, absorbed) == survivor
    merged = app.get_customer(survivor)
    assert set(merged.phones) == {PHONE_A.value, PHONE_B.value}
    assert merged.emails == ("wang@xinghe.cn",)
    assert merged.company_name == "北京星河科技有限公司"  # kept, not overwritten
    assert (merged.contact_name, merged.industry) == ("王伟", "软件")  # filled
    assert merged.absorbed == (absorbed,)
    found = app.find_customer_by_key(PHONE_B)
    assert found is not None
    assert found.customer_id == survivor


def test_the_absorbed_customer_stays_as_a_tombstone_and_look_ups_resolve_to_the_survivor(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    merge(app, survivor, absorbed)
    assert app.get_customer(absorbed).customer_id == survivor
    tombstone = app.get_customer(absorbed, follow_merges=False)
    assert tombstone.merged_into == survivor
    assert tombstone.phones == ()
    assert tombstone.company_name == "星河科技(北京)"
    listed = {row.customer_id for row in directory_rows(app)}
    assert listed == {survivor}
    every = {row.customer_id: row for row in directory_rows(app, include_tombstones=True)}
    assert every[absorbed].merged_into == survivor


def test_a_merge_keeps_every_event_of_both_customers_reachable(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    app.correct_contact_details(parse_command(
        CorrectContactDetails, {"actor": "rep-2", "customer_id": absorbed, "region": "北京"}))
    before = {(e.originator_id, e.originator_version) for e in app.customer_events(survivor)}
    before |= {(e.originator_id, e.originator_version) for e in app.customer_events(absorbed)}
    merge(app, survivor, absorbed)
    after = [(e.originator_id, e.originator_version) for e in app.customer_events(absorbed)]
    assert before < set(after)
    assert len(after) == len(before) + 2  # Absorbed on one side, MergedInto on the other


def test_commands_addressed_to_a_tombstone_land_on_the_survivor(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    merge(app, survivor, absorbed)
    app.correct_contact_details(parse_command(
        CorrectContactDetails, {"actor": "rep-2", "customer_id": absorbed, "region": "北京"}))
    app.add_identity_key(parse_command(
        AddIdentityKey, {"actor": "rep-2", "customer_id": absorbed, "kind": "wechat",
                         "value": "xinghe_wang"}))
    app.remove_identity_key(parse_command(
        RemoveIdentityKey, {"actor": "rep-2", "customer_id": absorbed, "kind": "email",
                            "value": "wang@xinghe.cn"}))
    live = app.get_customer(survivor)
    assert live.region == "北京"
    assert live.wechats == ("xinghe_wang",)
    assert live.emails == ()
    assert app.get_customer(absorbed, follow_merges=False).region is None


def test_new_records_matching_the_absorbed_customer_are_refused_in_the_survivors_name(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    merge(app, survivor, absorbed)
    with pytest.raises(DuplicateCustomer) as by_key:
        register(app, company_name="别的公司", phone="139 0013 9000")
    assert by_key.value.existing_customer_id == survivor
    with pytest.raises(DuplicateCustomer) as by_name:
        register(app, company_name="星河科技（北京）有限公司")
    assert by_name.value.existing_customer_id == survivor


def test_merging_a_customer_with_itself_or_its_own_tombstone_is_refused_and_changes_nothing(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    with pytest.raises(ValidationFailed) as same_id:
        merge(app, survivor, survivor)
    assert same_id.value.field == "absorbed_id"
    merge(app, survivor, absorbed)
    count = event_count(app)
    with pytest.raises(MergeRefused) as refused:
        merge(app, absorbed, survivor)
    assert refused.value.rule == "same_customer"
    assert event_count(app) == count


def test_a_merge_needs_a_reason(app: CrmApplication, pair: tuple[UUID, UUID]) -> None:
    with pytest.raises(ValidationFailed) as missing:
        merge(app, *pair, reason="  ")
    assert missing.value.field == "reason"


def test_a_split_restores_the_absorbed_customer_with_its_keys(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    merge(app, survivor, absorbed)
    app.correct_contact_details(parse_command(
        CorrectContactDetails, {"actor": "rep-2", "customer_id": survivor, "industry": "硬件"}))
    assert split(app, absorbed) == absorbed
    restored = app.get_customer(absorbed)
    assert restored.customer_id == absorbed
    assert restored.merged_into is None
    assert restored.phones == (PHONE_B.value,)
    assert restored.emails == ("wang@xinghe.cn",)
    kept = app.get_customer(survivor)
    assert kept.phones == (PHONE_A.value,)
    assert kept.emails == ()
    assert kept.contact_name is None  # filled by the merge, unchanged since: emptied again
    assert kept.industry == "硬件"  # edited after the merge: the edit stays
    assert kept.absorbed == ()
    found = app.find_customer_by_key(PHONE_B)
    assert found is not None
    assert found.customer_id == absorbed
    with pytest.raises(DuplicateCustomer) as by_name:
        register(app, company_name="星河科技（北京）有限公司", contact_name="王伟")
    explanation = by_name.value.explanation
    assert explanation is not None
    matched = {m["customer_id"] for m in explanation["matches"]}
    assert matched == {str(survivor), str(absorbed)}  # two customers again, not one


def test_a_key_the_survivor_gave_up_after_the_merge_is_not_taken_back(
    app: CrmApplication, pair: tuple[UUID, UUID]
) -> None:
    survivor, absorbed = pair
    merge(app, survivor, absorbed)
    app.remove_identity_key(parse_command(
        RemoveIdentityKey, {"actor": "rep-2", "customer_id": survivor, "kind": "phone",
                            "value": "13900139000"}))
    other = register(app, company_name="另一家公司", phone="13900139000")
    split(app, absorbed)
    assert app.get_customer(absorbed).phones == ()
    found = app.find_customer_by_key(PHONE_B)
    assert found is not None
    assert found.customer_id == other


def test_splits_go_in_reverse_order_of_merges(app: CrmApplication) -> None:
    a = register(app, company_name="甲方公司", phone="13800000001")
    b = register(app, company_name="乙方公司", phone="13800000002")
    c = register(app, company_name="丙方公司", phone="13800000003")
    merge(app, b, a)
    merge(app, c, b)
    with pytest.raises(MergeRefused) as refused:
        split(app, a)
    assert refused.value.rule == "split_latest_first"
    with pytest.raises(MergeRefused) as not_merged:
        split(app, c)
    assert not_merged.value.rule == "not_a_tombstone"
    split(app, b)
    assert app.get_customer(a).customer_id == b  # a still resolves to b
    assert set(app.get_customer(b).phones) == {"+8613800000001", "+8613800000002"}
    split(app, a)
    assert [app.get_customer(x).phones for x in (a, b, c)] == [
        ("+8613800000001",), ("+8613800000002",), ("+8613800000003",)]


def test_an_attached_record_follows_its_customer_into_the_merge(app: CrmApplication) -> None:
    survivor = register(app, company_name="北京星河科技有限公司")
    absorbed = register(app, company_name="南方建材有限公司", phone="13900139000")
    (attached,) = app.register_customers(
        [registration(company_name="南方建材", phone="13900139000", email="nf@jc.cn")],
        mode=DedupMode.MERGE,
    )
    assert (attached.outcome, attached.customer_id) == ("merged", absorbed)
    merge(app, survivor, absorbed)
    with pytest.raises(DuplicateCustomer) as refused:
        register(app, company_name="南方建材股份有限公司")
    assert refused.value.existing_customer_id == survivor
