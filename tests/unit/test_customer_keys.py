"""Merged customers travel under their survivor's key; a relay resuming anywhere in the
log keys every event exactly as one pass from the start does."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.relay.customer_keys import CustomerKeys
from adapters.relay.envelope import Envelopes
from adapters.relay.pii import PiiPolicy
from crmcore import CrmApplication, ManualClock, MergeCustomers, SplitCustomer, parse_command
from tests.conftest import register


def merge(app: CrmApplication, survivor: UUID, absorbed: UUID) -> None:
    app.merge_customers(parse_command(MergeCustomers, {
        "actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "same"}))


def split(app: CrmApplication, tombstone: UUID) -> None:
    app.split_customer(parse_command(SplitCustomer, {
        "actor": "mgr", "tombstone_id": tombstone, "reason": "not the same"}))


def cloud_events(app: CrmApplication, after: int | None) -> list[dict[str, Any]]:
    """What a relay whose position is ``after`` sends."""
    envelopes = Envelopes(CustomerKeys.as_of(app, after), PiiPolicy({}))
    page = app.recorder.select_notifications(start=after, limit=10**6, inclusive_of_start=False)
    return [envelopes.cloud_event(n.topic, app.mapper.to_domain_event(n)) for n in page]


def chained_merges(app: CrmApplication) -> tuple[UUID, UUID, UUID]:
    a = register(app, company_name="甲公司", phone="13800138001")
    s = register(app, company_name="乙公司", phone="13800138002")
    t = register(app, company_name="丙公司", phone="13800138003")
    merge(app, s, a)
    merge(app, t, s)
    split(app, s)
    split(app, a)
    return a, s, t


def test_a_chain_of_merges_follows_the_last_survivor(app: CrmApplication) -> None:
    a, s, t = chained_merges(app)

    sent = cloud_events(app, None)

    def keyed(type_suffix: str, subject: UUID) -> str:
        (event,) = [e for e in sent if e["type"].endswith(type_suffix)
                    and e["subject"] == f"customer/{subject}"]
        return str(event["partitionkey"])

    assert keyed("merged_into.v1", a) == str(s)
    assert keyed("merged_into.v1", s) == str(t)
    assert keyed("restored.v1", s) == str(t)
    assert keyed("restored.v1", a) == str(s)  # s was no longer merged by then
    assert keyed("registered.v1", a) == str(a)


def test_resuming_at_any_position_keys_events_as_one_pass_does(
    app: CrmApplication, clock: ManualClock
) -> None:
    a, _, _ = chained_merges(app)
    merge(app, a, register(app, company_name="丁公司", phone="13800138004"))
    one_pass = cloud_events(app, None)
    positions = [n.id for n in app.recorder.select_notifications(start=None, limit=10**6)]

    for n, position in enumerate(positions):
        assert cloud_events(app, position) == one_pass[n + 1 :]


def test_while_merged_twice_over_the_first_customer_is_keyed_by_the_last_survivor(
    app: CrmApplication,
) -> None:
    a = register(app, company_name="甲公司", phone="13800138001")
    s = register(app, company_name="乙公司", phone="13800138002")
    t = register(app, company_name="丙公司", phone="13800138003")
    merge(app, s, a)
    merge(app, t, s)

    keys = CustomerKeys.as_of(app, app.recorder.max_notification_id())

    assert (keys.key_of(a), keys.key_of(s), keys.key_of(t)) == (t, t, t)
