"""Group links racing on one SQLite store: the loser is decided again from fresh reads."""

from __future__ import annotations

from uuid import UUID

import pytest

from crmcore import (
    CrmApplication,
    GroupRefused,
    LinkCustomer,
    ManualClock,
    MergeCustomers,
    parse_command,
)
from tests.conftest import registration
from tests.integration.test_merge_race import _interleave


def _link(app: CrmApplication, child: UUID, parent: UUID) -> UUID:
    return app.link_customer(parse_command(LinkCustomer, {
        "actor": "mgr", "child_id": child, "parent_id": parent, "relation": "subsidiary"}))


@pytest.fixture
def two_apps(
    store_env: dict[str, str], clock: ManualClock
) -> tuple[CrmApplication, CrmApplication]:
    env = store_env
    return CrmApplication(env, clock=clock), CrmApplication(env, clock=clock)


def test_two_links_that_would_close_a_cycle_together_cannot_both_land(
    two_apps: tuple[CrmApplication, CrmApplication],
) -> None:
    first, second = two_apps
    a, b, c, d = (first.register_customer(registration(company_name=name))
                  for name in ("甲集团", "乙实业", "丙科技", "丁贸易"))
    _link(first, b, c)  # c above b
    _link(first, d, a)  # a above d
    # a below b and c below d: each alone is fine; together they make a > d > c > b > a.
    saves = _interleave(first, lambda: _link(second, c, d))
    with pytest.raises(GroupRefused) as refused:
        _link(first, a, b)
    assert refused.value.rule == "cycle"
    assert len(saves) == 1  # the first attempt lost the race, the second saw the cycle
    view = second.group_of(a)
    assert view is not None
    assert view.root_id == a
    assert [m.depth for m in view.members] == [0, 1, 2, 3]


def test_two_links_giving_one_customer_two_parents_cannot_both_land(
    two_apps: tuple[CrmApplication, CrmApplication],
) -> None:
    first, second = two_apps
    child, p1, p2 = (first.register_customer(registration(company_name=name))
                     for name in ("星河分公司", "星河集团", "银河控股"))
    _interleave(first, lambda: _link(second, child, p2))
    with pytest.raises(GroupRefused) as refused:
        _link(first, child, p1)
    assert refused.value.rule == "has_parent"
    view = first.group_of(child)
    assert view is not None
    assert view.root_id == p2
    assert first.group_of(p1) is None


def test_a_merge_racing_a_link_of_the_absorbed_customer_leaves_no_tombstone_in_a_tree(
    two_apps: tuple[CrmApplication, CrmApplication],
) -> None:
    first, second = two_apps
    survivor, absorbed, parent = (first.register_customer(registration(company_name=name))
                                  for name in ("星河科技", "星河科技北京", "星河集团"))
    _interleave(first, lambda: _link(second, absorbed, parent))
    with pytest.raises(GroupRefused) as refused:
        first.merge_customers(parse_command(MergeCustomers, {
            "actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "dup"}))
    assert refused.value.rule == "group_member"
    assert first.get_customer(absorbed).customer_id == absorbed  # not a tombstone
