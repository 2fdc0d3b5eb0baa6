"""Group trees (集团/子公司/分公司/事业部): linking, refusals, merges, cross-group warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from crmcore import (
    CrmApplication,
    CustomerNotFound,
    GroupRefused,
    LinkCustomer,
    ManualClock,
    MergeCustomers,
    SplitCustomer,
    UnlinkCustomer,
    ValidationFailed,
    parse_command,
)
from crmcore.domain import (
    CrossGroupCollisionFlagged,
    CustomerGroup,
    GroupMembership,
    Ownership,
    membership_id,
)
from crmcore.event_log import customer_of
from tests.conftest import all_events, event_count, hire, register, registration, sqlite_env


def link(app: CrmApplication, child: UUID, parent: UUID, relation: str = "subsidiary") -> UUID:
    return app.link_customer(parse_command(LinkCustomer, {
        "actor": "mgr-1", "child_id": child, "parent_id": parent, "relation": relation}))


def unlink(app: CrmApplication, customer: UUID) -> UUID | None:
    return app.unlink_customer(parse_command(
        UnlinkCustomer, {"actor": "mgr-1", "customer_id": customer}))


def tree(app: CrmApplication, customer: UUID) -> list[tuple[str | None, int, str | None]]:
    view = app.group_of(customer)
    assert view is not None
    return [(m.name, m.depth, m.relation.value if m.relation else None) for m in view.members]


@pytest.fixture
def huawei(app: CrmApplication) -> dict[str, UUID]:
    """A group owned by rep-1: the parent, a subsidiary and a branch of it."""
    hire(app, "rep-1", "rep-2")
    ids = {
        "parent": register(app, company_name="华为投资控股有限公司"),
        "tech": register(app, company_name="华为技术有限公司", phone="075528780808"),
        "beijing": register(app, company_name="华为技术有限公司北京分公司"),
    }
    link(app, ids["tech"], ids["parent"])
    link(app, ids["beijing"], ids["tech"], "branch")
    return ids


def test_linking_builds_one_tree_shown_top_first(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    view = app.group_of(huawei["beijing"])
    assert view is not None
    assert view.root_id == huawei["parent"]
    assert tree(app, huawei["parent"]) == [
        ("华为投资控股有限公司", 0, None),
        ("华为技术有限公司", 1, "subsidiary"),
        ("华为技术有限公司北京分公司", 2, "branch"),
    ]
    assert app.group_of(huawei["tech"]) == view


def test_a_customer_in_no_group_has_no_tree(app: CrmApplication) -> None:
    assert app.group_of(register(app, company_name="独立公司")) is None


def test_link_is_refused_when_it_would_close_a_cycle(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    before = event_count(app)
    with pytest.raises(GroupRefused) as refused:
        link(app, huawei["parent"], huawei["beijing"])
    assert refused.value.rule == "cycle"
    assert event_count(app) == before


def test_link_is_refused_when_the_child_already_has_a_parent(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    other = register(app, company_name="荣耀终端有限公司")
    with pytest.raises(GroupRefused) as refused:
        link(app, huawei["beijing"], other)
    assert refused.value.rule == "has_parent"
    assert str(huawei["tech"]) in str(refused.value)
    assert app.group_of(other) is None


def test_linking_the_top_of_a_group_below_another_group_folds_it_in(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    honor = register(app, company_name="荣耀终端有限公司")
    shop = register(app, company_name="荣耀终端有限公司上海分公司")
    old_group = link(app, shop, honor, "branch")
    new_group = link(app, honor, huawei["parent"])
    assert new_group != old_group
    assert {m.customer_id for m in app.group_of(shop).members} == {*huawei.values(), honor, shop}
    ended = app.repository.get(old_group)
    assert isinstance(ended, CustomerGroup)
    assert ended.ended_by == new_group


def test_unlinking_takes_the_subtree_out_as_a_group_of_its_own(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    new_group = unlink(app, huawei["tech"])
    assert new_group is not None
    assert tree(app, huawei["beijing"]) == [
        ("华为技术有限公司", 0, None), ("华为技术有限公司北京分公司", 1, "branch")]
    assert app.group_of(huawei["parent"]) is None  # alone now: a group of one is no group


def test_unlinking_a_leaf_leaves_it_in_no_group(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    assert unlink(app, huawei["beijing"]) is None
    assert app.group_of(huawei["beijing"]) is None
    assert [m.depth for m in app.group_of(huawei["parent"]).members] == [0, 1]


@pytest.mark.parametrize("member", ["parent", "none"])
def test_unlink_is_refused_for_a_customer_below_nobody(
    app: CrmApplication, huawei: dict[str, UUID], member: str
) -> None:
    customer = huawei["parent"] if member == "parent" else register(app, company_name="某公司")
    with pytest.raises(GroupRefused) as refused:
        unlink(app, customer)
    assert refused.value.rule == "not_linked"


def test_link_naming_an_unknown_customer_changes_nothing(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    before = event_count(app)
    with pytest.raises(CustomerNotFound):
        link(app, uuid4(), huawei["parent"])
    assert event_count(app) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"relation": "cousin"}, "relation"), ({"child_id": "not-a-uuid"}, "child_id")],
)
def test_a_bad_link_command_names_the_field(change: dict[str, Any], field: str) -> None:
    data = {"actor": "m", "child_id": str(uuid4()), "parent_id": str(uuid4()),
            "relation": "branch", **change}
    with pytest.raises(ValidationFailed) as failed:
        parse_command(LinkCustomer, data)
    assert failed.value.field == field


def test_a_customer_cannot_be_its_own_parent() -> None:
    same = str(uuid4())
    with pytest.raises(ValidationFailed) as failed:
        parse_command(LinkCustomer, {
            "actor": "m", "child_id": same, "parent_id": same, "relation": "branch"})
    assert failed.value.field == "parent_id"


# -- merges ------------------------------------------------------------------------------


def merge(app: CrmApplication, survivor: UUID, absorbed: UUID) -> UUID:
    return app.merge_customers(parse_command(MergeCustomers, {
        "actor": "mgr-1", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "dup"}))


def test_a_group_member_is_not_merged_away(app: CrmApplication, huawei: dict[str, UUID]) -> None:
    copy = register(app, company_name="华为技术北京分公司", phone="13900139000")
    with pytest.raises(GroupRefused) as refused:
        merge(app, copy, huawei["beijing"])
    assert refused.value.rule == "group_member"
    assert app.get_customer(huawei["beijing"]).merged_into is None


def test_a_group_member_survives_a_merge_and_keeps_its_place(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    copy = register(app, company_name="华为技术北京分公司", phone="13900139000")
    merge(app, huawei["beijing"], copy)
    assert len(app.group_of(huawei["beijing"]).members) == 3
    assert app.group_of(copy) == app.group_of(huawei["beijing"])  # the tombstone resolves
    with pytest.raises(GroupRefused) as refused:
        link(app, copy, huawei["parent"])  # acts on the survivor, which has a parent
    assert refused.value.rule == "has_parent"
    assert str(huawei["beijing"]) in str(refused.value)


def test_a_split_customer_may_join_a_group_again(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    copy = register(app, company_name="华为数字能源技术有限公司", phone="13900139000")
    other = register(app, company_name="某某能源有限公司")
    merge(app, other, copy)
    app.split_customer(parse_command(
        SplitCustomer, {"actor": "mgr-1", "tombstone_id": copy, "reason": "not the same"}))
    link(app, copy, huawei["parent"])
    assert copy in {m.customer_id for m in app.group_of(huawei["parent"]).members}


# -- the group-wide history ----------------------------------------------------------------


def test_group_history_reads_every_member_in_one_timeline(
    app: CrmApplication, huawei: dict[str, UUID], clock: ManualClock
) -> None:
    history = app.group_history(huawei["beijing"])
    customer_events = [e for e in history if not isinstance(e, Ownership.Event)]
    assert {e.originator_id for e in customer_events} == set(huawei.values())
    owned = {e.customer_id for e in history if isinstance(e, Ownership.Assigned)}
    assert owned == set(huawei.values()), "rep-1 registered them, so owns them: on record"
    stamps = [e.timestamp for e in history]
    assert stamps == sorted(stamps)
    alone = register(app, company_name="独立公司")
    assert {customer_of(e) for e in app.group_history(alone)} == {alone}


# -- cross-group collisions ----------------------------------------------------------------


def _register_as(app: CrmApplication, actor: str, **fields: Any) -> Any:
    (result,) = app.register_customers([registration(actor=actor, **fields)])
    return result


def test_a_new_customer_sharing_a_groups_brand_is_warned_as_a_cross_group_collision(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    result = _register_as(app, "rep-2", company_name="华为终端有限公司")
    assert result.outcome == "created"  # a subsidiary is a customer of its own
    (collision,) = result.group_collisions
    assert collision.root_id == huawei["parent"]
    assert {m["customer_id"] for m in collision.members} == {str(c) for c in huawei.values()}
    assert {m["owner"] for m in collision.members} == {"rep-1"}
    assert {m["evidence"] for m in collision.members} == {"brand"}
    flagged = [e for e in all_events(app) if isinstance(e, CrossGroupCollisionFlagged)]
    assert [e.originator_id for e in flagged] == [result.customer_id]
    assert flagged[0].members == list(collision.members)


def test_a_branch_resembling_a_member_names_the_rule_that_found_it(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    result = _register_as(app, "rep-2", company_name="华为技术有限公司上海分公司")
    assert result.outcome == "warned"
    members = {m["customer_id"]: m for m in result.group_collisions[0].members}
    assert members[str(huawei["tech"])]["evidence"] == "similar"
    assert members[str(huawei["tech"])]["rule"] == "likely_same_company"


def test_the_rep_who_owns_the_group_is_not_warned_against_himself(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    assert _register_as(app, "rep-1", company_name="华为终端有限公司").group_collisions == ()


def test_an_unrelated_brand_is_no_cross_group_collision(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    assert _register_as(app, "rep-2", company_name="中兴通讯股份有限公司").group_collisions == ()


def test_a_customer_that_left_the_group_no_longer_counts(
    app: CrmApplication, huawei: dict[str, UUID]
) -> None:
    unlink(app, huawei["tech"])  # tech and beijing leave; the parent stands alone
    result = _register_as(app, "rep-2", company_name="华为终端有限公司")
    (collision,) = result.group_collisions
    assert collision.root_id == huawei["tech"]
    assert str(huawei["parent"]) not in {m["customer_id"] for m in collision.members}


def test_cross_group_collisions_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    env = sqlite_env(tmp_path / "crm.db")
    first = CrmApplication(env, clock=clock)
    hire(first, "rep-1")
    parent = first.register_customer(registration(company_name="美的集团股份有限公司"))
    child = first.register_customer(registration(company_name="美的集团武汉制冷设备有限公司"))
    link(first, child, parent)
    first.close()
    second = CrmApplication(env, clock=clock)  # its index is rebuilt from the log
    result = _register_as(second, "rep-9", company_name="美的集团财务有限公司")
    assert {m["customer_id"] for m in result.group_collisions[0].members} == {
        str(parent), str(child)}
    membership = second.repository.get(membership_id(child))
    assert isinstance(membership, GroupMembership)
    assert membership.group_id == result.group_collisions[0].group_id
    second.close()
