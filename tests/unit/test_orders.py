"""Orders and payments: each milestone credited to the reps who owned the customer at
its business time, with their shares - even when recorded after a transfer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import (
    CrmApplication,
    ManualClock,
    OwnershipRefused,
    SetCollaborators,
    TransferCustomer,
    ValidationFailed,
    parse_command,
)
from crmcore.errors import OrderRefused
from crmcore.orders.commands import (
    RecordAcceptance,
    RecordDelivery,
    RecordInvoice,
    RecordPayment,
    SignOrder,
)
from tests.conftest import START, hire, register


def sign(app: CrmApplication, customer_id: UUID, actor: str = "li", **fields: Any) -> Any:
    return app.sign_order(parse_command(SignOrder, {
        "actor": actor, "customer_id": customer_id, "amount": "1,000,000", **fields}))


def milestone(app: CrmApplication, kind: type, order_id: UUID, actor: str = "li",
              **fields: Any) -> Any:
    return app.record_milestone(parse_command(kind, {
        "actor": actor, "order_id": order_id, **fields}))


def credits(record: Any, n: int) -> list[tuple[str, float]]:
    return [(c["rep"], c["share"]) for c in record.milestones[n].credits]


@pytest.fixture
def customer(app: CrmApplication) -> UUID:
    hire(app, "li", "wang", "zhao", team="north")
    hire(app, "boss", supervisor=True, team="north")
    cid = register(app, actor="li", company_name="北京星河数据科技有限公司")
    app.set_collaborators(parse_command(SetCollaborators, {
        "actor": "li", "customer_id": cid, "by": "li", "shares": {"zhao": 0.3}}))
    return cid


def transfer(app: CrmApplication, customer_id: UUID, to: str) -> None:
    app.transfer_customer(parse_command(TransferCustomer, {
        "actor": "boss", "customer_id": customer_id, "to": to, "by": "boss"}))


def test_a_payment_recorded_after_a_transfer_is_credited_to_the_owner_at_its_time(
    app: CrmApplication, customer: UUID, clock: ManualClock
) -> None:
    order = sign(app, customer)
    assert credits(order, 0) == [("li", 0.7), ("zhao", 0.3)]
    clock.advance(days=10)
    received = clock.now()  # the money arrives while li owns the customer...
    clock.advance(days=5)
    transfer(app, customer, "wang")  # ...who is then replaced by wang
    clock.advance(days=2)
    late = milestone(app, RecordPayment, order.order_id, actor="wang", amount="300000",
                     occurred_at=received, payment_no="HK-001")
    assert credits(late, 1) == [("li", 0.7), ("zhao", 0.3)]
    assert late.milestones[1].credit_basis["rule"] == "owner_at_business_time"
    now = milestone(app, RecordPayment, order.order_id, actor="wang", amount="700000")
    assert credits(now, 2) == [("wang", 1.0)]
    assert (now.paid, now.invoiced) == ("1000000.00", "0.00")


def test_milestones_follow_the_order_s_rules(
    app: CrmApplication, customer: UUID, clock: ManualClock
) -> None:
    order = sign(app, customer)
    oid = order.order_id
    with pytest.raises(OrderRefused) as early:
        milestone(app, RecordAcceptance, oid)
    assert early.value.rule == "not_delivered"
    milestone(app, RecordDelivery, oid)
    with pytest.raises(OrderRefused) as twice:
        milestone(app, RecordDelivery, oid)
    assert twice.value.rule == "already_delivered"
    milestone(app, RecordAcceptance, oid)
    milestone(app, RecordInvoice, oid, amount="600000", invoice_no="FP-1")
    with pytest.raises(OrderRefused) as over:
        milestone(app, RecordInvoice, oid, amount="400000.01")
    assert over.value.rule == "over_invoiced"
    with pytest.raises(OrderRefused) as overpaid:
        milestone(app, RecordPayment, oid, amount="1000000.01")
    assert overpaid.value.rule == "overpaid"
    with pytest.raises(ValidationFailed) as before:
        milestone(app, RecordPayment, oid, amount="1", occurred_at=START - timedelta(days=1))
    assert before.value.field == "occurred_at"
    shown = app.get_order(oid)
    assert [m.milestone for m in shown.milestones] == [
        "signed", "delivered", "accepted", "invoiced"
    ]


def test_only_those_who_may_change_the_customer_record_its_orders(
    app: CrmApplication, customer: UUID
) -> None:
    with pytest.raises(OwnershipRefused):
        sign(app, customer, actor="wang")
    order = sign(app, customer, actor="zhao")  # a collaborator may
    with pytest.raises(OwnershipRefused):
        milestone(app, RecordPayment, order.order_id, actor="wang", amount="1")


def test_bad_amounts_name_the_field(app: CrmApplication, customer: UUID) -> None:
    for amount in ("0", "-1", "abc", "1.001"):
        with pytest.raises(ValidationFailed) as invalid:
            sign(app, customer, amount=amount)
        assert invalid.value.field == "amount"


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["transfer", "pay"]), st.integers(1, 72)),
        min_size=1, max_size=8,
    ),
    st.integers(0, 7 * 24),
)
def test_credits_depend_on_business_time_not_on_when_recorded(
    steps: list[tuple[str, int]], lag_hours: int
) -> None:
    """Record payments late by any lag: each is credited to whoever owned the customer
    at the time the payment says it happened, as the ownership timeline shows."""
    clock = ManualClock(START)
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    hire(app, "li", "wang", team="north")
    hire(app, "boss", supervisor=True, team="north")
    cid = register(app, actor="li", company_name="北京星河数据科技有限公司")
    order = sign(app, cid, amount="100000000")
    owners = [(clock.now(), "li")]
    payments: list[Any] = []
    for step, hours in steps:
        clock.advance(hours=hours)
        if step == "transfer":
            to = "wang" if owners[-1][1] == "li" else "li"
            transfer(app, cid, to)
            owners.append((clock.now(), to))
        else:
            payments.append(clock.now() - timedelta(hours=min(lag_hours, hours - 1)))
    clock.advance(hours=1)
    for at in payments:
        if at < START:
            continue  # before the contract was signed
        record = milestone(app, RecordPayment, order.order_id, actor="boss", amount="1",
                           occurred_at=at)
        expected = [owner for since, owner in owners if since <= at][-1]
        assert record.milestones[-1].credits[0]["rep"] == expected
