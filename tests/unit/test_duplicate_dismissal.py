"""Dismissing a suspected duplicate pair: an event, once per pair, never for one customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from crmcore import (
    CrmApplication,
    CustomerNotFound,
    MergeCustomers,
    ValidationFailed,
    parse_command,
)
from crmcore.clock import ManualClock
from crmcore.customers.dismissal import DismissDuplicatePair
from crmcore.domain.duplicate_dismissal import DuplicateDismissal
from crmcore.errors import DismissalRefused
from tests.conftest import all_events, register

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def app() -> CrmApplication:
    return CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=ManualClock(NOW))


def _dismiss(app: CrmApplication, a: object, b: object, reason: str = "two companies") -> Any:
    command = {"actor": "auditor", "customer_a": str(a), "customer_b": str(b), "reason": reason}
    return app.dismiss_duplicate_pair(parse_command(DismissDuplicatePair, command))


def test_a_dismissal_is_one_event_with_who_when_and_why(app: CrmApplication) -> None:
    one = register(app, company_name="北京华信科技有限公司")
    other = register(app, company_name="上海华信科技有限公司")
    dismissal = _dismiss(app, other, one, "Beijing and Shanghai are two legal entities")
    assert (dismissal.customer_a, dismissal.customer_b) == tuple(sorted((one, other), key=str))
    (event,) = [e for e in all_events(app) if isinstance(e, DuplicateDismissal.Dismissed)]
    assert (event.actor, event.occurred_at, event.reason) == (
        "auditor", NOW, "Beijing and Shanghai are two legal entities")
    assert event.originator_id == DuplicateDismissal.id_for(one, other)


def test_the_same_pair_in_either_order_is_dismissed_once(app: CrmApplication) -> None:
    one = register(app, company_name="北京华信科技有限公司")
    other = register(app, company_name="上海华信科技有限公司")
    _dismiss(app, one, other)
    with pytest.raises(DismissalRefused) as refused:
        _dismiss(app, other, one)
    assert refused.value.rule == "already_dismissed"
    assert "auditor" in str(refused.value)
    assert NOW.isoformat() in str(refused.value)


def test_a_customer_and_its_tombstone_are_one_customer(app: CrmApplication) -> None:
    one = register(app, company_name="北京华信科技有限公司")
    other = register(app, company_name="深圳锐安医疗器械有限公司", phone="13800138000")
    app.merge_customers(parse_command(MergeCustomers, {
        "actor": "m", "survivor_id": str(one), "absorbed_id": str(other), "reason": "same"}))
    with pytest.raises(DismissalRefused) as refused:
        _dismiss(app, one, other)
    assert refused.value.rule == "same_customer"
    assert not [e for e in all_events(app) if isinstance(e, DuplicateDismissal.Dismissed)]


def test_bad_input_names_the_field_and_changes_nothing(app: CrmApplication) -> None:
    one = register(app, company_name="北京华信科技有限公司")
    before = len(all_events(app))
    with pytest.raises(ValidationFailed) as same:
        _dismiss(app, one, one)
    assert same.value.field == "customer_b"
    with pytest.raises(ValidationFailed) as no_reason:
        _dismiss(app, one, UUID(int=7, version=4), "  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationFailed) as not_an_id:
        _dismiss(app, one, "12345")
    assert not_an_id.value.field == "customer_b"
    with pytest.raises(CustomerNotFound):
        _dismiss(app, one, UUID(int=7, version=4))
    assert len(all_events(app)) == before
