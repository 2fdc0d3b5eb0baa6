"""Permissions never blind the identity check; they only cut what its answer reveals."""

from __future__ import annotations

import json

import pytest

from crmcore import CrmApplication, DuplicateCustomer, LinkCustomer, parse_command
from crmcore.commands import RegisterCustomer
from crmcore.disclosure import Role, Viewer, disclose_collision, disclose_record
from tests.conftest import hire, registration

SECRET = {"company_name": "北京星河科技有限公司", "contact_name": "王伟",
          "phone": "138 0013 8000", "email": "wang.wei@xinghe.cn", "region": "北京"}


def refusal_for(app: CrmApplication, viewer: Viewer, **fields: str) -> DuplicateCustomer:
    command = parse_command(RegisterCustomer, {"actor": viewer.actor, **fields})
    with pytest.raises(DuplicateCustomer) as raised:
        app.register_customer_as(command, viewer)
    return raised.value


def test_a_rep_who_cannot_see_the_customer_is_still_stopped_and_learns_only_the_owner(
    app: CrmApplication,
) -> None:
    hire(app, "rep-1", "rep-2")
    existing = app.register_customer(registration(**SECRET))  # registered by rep-1
    refusal = refusal_for(app, Viewer("rep-2"), company_name="星河科技(北京)",
                          contact_name="王伟")
    assert refusal.existing_customer_id == existing
    assert refusal.owner == "rep-1"
    assert "owned by rep-1" in str(refusal)
    shown = json.dumps(refusal.to_dict(), ensure_ascii=False)
    for value in ("北京星河科技", "王伟", "13800138000", "wang.wei", "xinghe"):
        assert value not in shown, value
    (match,) = refusal.to_dict()["explanation"]["matches"]
    assert match == {"customer_id": str(existing), "owner": "rep-1", "visible": False,
                     "rule": "same_company", "action": "block", "shared_keys": []}


def test_the_owner_and_a_manager_see_the_whole_explanation(app: CrmApplication) -> None:
    hire(app, "rep-1")
    app.register_customer(registration(**SECRET))
    for viewer in (Viewer("rep-1"), Viewer("mgr-1", Role.MANAGER)):
        refusal = refusal_for(app, viewer, company_name="星河科技(北京)")
        (match,) = refusal.to_dict()["explanation"]["matches"]
        assert match["visible"] is True
        assert match["features"]["company"] == 1.0
        assert "owned by" not in str(refusal)


def test_a_collision_on_a_key_names_the_key_the_rep_typed_but_nothing_else(
    app: CrmApplication,
) -> None:
    app.register_customer(registration(**SECRET))
    refusal = refusal_for(app, Viewer("rep-2"), company_name="另一家公司", phone="13800138000")
    assert refusal.key == "phone:+8613800138000"
    assert "北京星河科技" not in json.dumps(refusal.to_dict(), ensure_ascii=False)


def test_a_record_is_shown_whole_only_to_who_may_see_it(app: CrmApplication) -> None:
    cid = app.register_customer(registration(**SECRET))
    record = app.get_customer(cid).to_dict()
    assert disclose_record(record, Viewer("rep-2"), "rep-1") == {
        "customer_id": str(cid), "owner": "rep-1", "visible": False}
    assert disclose_record(record, Viewer("aud", Role.AUDITOR), "rep-1")["phones"] == [
        "+8613800138000"]


def test_a_cross_group_warning_names_the_owner_but_not_the_score_to_a_rep(
    app: CrmApplication,
) -> None:
    hire(app, "rep-1", "rep-2")
    parent = app.register_customer(registration(company_name="华为投资控股有限公司"))
    child = app.register_customer(registration(company_name="华为技术有限公司"))
    app.link_customer(parse_command(LinkCustomer, {
        "actor": "mgr", "child_id": child, "parent_id": parent, "relation": "subsidiary"}))
    command = parse_command(RegisterCustomer, {
        "actor": "rep-2", "company_name": "华为技术有限公司上海分公司"})
    result = app.register_customer_as(command, Viewer("rep-2"))
    (collision,) = result.group_collisions
    full = collision.to_dict()
    assert {m.get("rule") for m in full["members"]} >= {"likely_same_company"}
    shown = disclose_collision(full, Viewer("rep-2"))
    assert all(set(m) == {"customer_id", "owner", "evidence"} for m in shown["members"])
    assert {m["owner"] for m in shown["members"]} == {"rep-1"}
    assert disclose_collision(full, Viewer("boss", Role.MANAGER)) == full
