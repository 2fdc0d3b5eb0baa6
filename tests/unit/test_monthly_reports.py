"""The monthly reports from their views: the collision rate (撞单率) of customers
entered or contested, broken down by channel, rep and resolution; the pool's flows."""

from __future__ import annotations

import pytest

from crmcore import DuplicateCustomer, ManualClock
from projections.monthly import collision_months, pool_months
from tests.conftest import register, views
from tests.unit.audit.helpers import new_customer, office, staff
from tests.unit.test_claim_rules import claim, refusal, release

UNRELATED = ("上海东方物流有限公司", "广州南方电器有限公司", "成都西部矿业有限公司")


def test_the_collision_rate_counts_contested_customers_over_those_entered_or_contested(
    clock: ManualClock,
) -> None:
    app = office(clock)
    staff(app)
    first = register(app, actor="li", company_name="北京星河数据科技有限公司", phone="13800138000")
    for name in UNRELATED:
        register(app, actor="importer", company_name=name)
    with pytest.raises(DuplicateCustomer):  # wang enters li's customer again
        register(app, actor="wang", company_name="星河数据", phone="13800138000")
    clock.set(clock.now().replace(month=4, day=2))
    refusal(app, first, "zhao")  # li's customer, claimed by zhao the next month
    register(app, actor="importer", company_name="杭州湖畔茶业有限公司")
    runner = views(app)
    runner.catch_up()
    march, april = collision_months(runner.engine)
    assert (march.month, march.entries, len(march.contested), march.collisions) == (
        "2026-03", 4, 1, 1)
    assert march.rate == pytest.approx(1 / 4)
    assert march.channel_rate("register") == pytest.approx(1 / 4)
    assert dict(march.by_resolution) == {"blocked": 1}
    assert dict(march.by_rep) == {"wang": 1}
    # April: one customer entered, one older customer contested - a rate of 1 in 2.
    assert (april.entries, len(april.contested), april.base) == (1, 1, 2)
    assert april.rate == pytest.approx(0.5)
    assert april.rep_rate("zhao") == pytest.approx(0.5)
    assert dict(april.by_resolution) == {"refused": 1}
    assert april.to_dict()["by_channel"] == {"claim": 1}


def test_pool_flows_count_releases_and_recyclings_in_and_claims_out(clock: ManualClock) -> None:
    app = office(clock)
    staff(app)
    let_go, lapsed, also_lapsed = (new_customer(app, n) for n in range(3))
    for cid in (let_go, lapsed, also_lapsed):
        claim(app, cid, "li")
    release(app, let_go, "li")
    clock.advance(days=40)
    app.sweep()
    claim(app, let_go, "wang")
    runner = views(app)
    runner.catch_up()
    by_month = {m.month: m.to_dict() for m in pool_months(runner.engine)}
    assert by_month["2026-03"] == {"month": "2026-03", "inflow": 1,
                                   "inflow_by_reason": {"released": 1}, "outflow": 3}
    april = by_month["2026-04"]
    assert april["outflow"] == 1
    # Claimed and never contacted: the sweeper took both back for that.
    assert april["inflow_by_reason"] == {"no_first_contact": 2}
