"""``crm order`` and ``crm payment`` as a user runs them: a payment recorded after a
transfer is credited to the rep who owned the customer when it was received."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL


def test_a_late_payment_is_credited_at_its_business_time(tmp_path: Path) -> None:
    for rep in ("li", "wang"):
        assert crm("rep", "add", rep, "--team", "north", cwd=tmp_path).returncode == 0
    assert crm("rep", "add", "boss", "--team", "north", "--supervisor",
               cwd=tmp_path).returncode == 0
    customer = as_json(crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
                           "--actor", "li", "--json", cwd=tmp_path))["customer_id"]
    signed = crm("order", "sign", customer, "--amount", "1,000,000", "--order-no", "HT-2026-001",
                 "--actor", "li", "--json", cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    order = as_json(signed)
    assert [c["rep"] for c in order["milestones"][0]["credits"]] == ["li"]
    moved = crm("transfer", customer, "--to", "wang", "--by", "boss", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    received = order["milestones"][0]["occurred_at"]  # the money came the day it was signed
    paid = crm("payment", "record", order["order_id"], "--amount", "300000", "--at", received,
               "--actor", "wang", "--json", cwd=tmp_path)
    assert paid.returncode == 0, paid.stderr
    milestones = as_json(paid)["milestones"]
    assert [(m["milestone"], [c["rep"] for c in m["credits"]]) for m in milestones] == [
        ("signed", ["li"]), ("paid", ["li"])
    ]
    over = crm("payment", "record", order["order_id"], "--amount", "800000", "--actor", "wang",
               "--json", cwd=tmp_path)
    assert over.returncode == 3
    assert as_json(over)["rule"] == "overpaid"
    shown = crm("order", "show", order["order_id"], cwd=tmp_path)
    assert shown.returncode == 0
    assert "li 100%" in shown.stdout
