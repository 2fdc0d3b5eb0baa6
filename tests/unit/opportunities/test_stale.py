"""Stale opportunities: the sweeper alerts owner and supervisor once per staleness, from
the in-memory fold and from the persisted views alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from adapters.bootstrap import open_application
from adapters.settings import Settings
from crmcore import (
    AdvanceOpportunity,
    CrmApplication,
    ManualClock,
    OpenOpportunity,
    UpdateOpportunity,
    parse_command,
)
from crmcore.domain.opportunity import Opportunity
from tests.conftest import all_events, hire, register


@pytest.fixture(params=["memory", "persisted"])
def sales_app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[CrmApplication]:
    if request.param == "memory":
        yield CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
        return
    app = open_application(Settings(db=tmp_path / "crm.db"), clock=clock)
    yield app
    app.close()


def open_(app: CrmApplication, customer_id: UUID, title: str) -> UUID:
    return app.open_opportunity(parse_command(OpenOpportunity, {
        "actor": "li", "customer_id": customer_id, "title": title,
        "product_category": title})).opportunity_id


def stale_counts(app: CrmApplication) -> dict[str, int]:
    """What a sweep did about opportunities (the customer's own SLA is swept too)."""
    return {k: v for k, v in app.sweep().counts().items() if k.startswith("alerted")}


def alerts(app: CrmApplication) -> list[tuple[UUID, str, str | None]]:
    return [(e.originator_id, e.owner, e.supervisor) for e in all_events(app)
            if isinstance(e, Opportunity.StaleAlerted)]


def test_a_stale_opportunity_is_alerted_once_until_it_is_updated_and_stale_again(
    sales_app: CrmApplication, clock: ManualClock
) -> None:
    app = sales_app
    hire(app, "li", team="north")
    hire(app, "boss", team="north", supervisor=True)
    customer = register(app, actor="li", company_name="北京星河数据科技有限公司")
    stale = open_(app, customer, "数据中台")
    won = open_(app, customer, "办公电脑")
    app.advance_opportunity(parse_command(AdvanceOpportunity, {
        "actor": "li", "opportunity_id": won, "to": "lost", "details": {"lost_reason": "预算"}}))
    clock.advance(days=14)
    assert stale_counts(app) == {}
    clock.advance(days=2)
    assert stale_counts(app) == {"alerted:stale_opportunity": 1}
    assert alerts(app) == [(stale, "li", "boss")]
    clock.advance(days=1)
    assert stale_counts(app) == {}, "once per staleness, not every sweep"
    app.update_opportunity(parse_command(UpdateOpportunity, {
        "actor": "li", "opportunity_id": stale, "details": {"competitor": "某竞品"}}))
    clock.advance(days=10)
    assert stale_counts(app) == {}
    clock.advance(days=6)
    assert stale_counts(app) == {"alerted:stale_opportunity": 1}
    assert len(alerts(app)) == 2
