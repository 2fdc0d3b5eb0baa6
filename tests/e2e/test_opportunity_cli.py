"""``crm opportunity`` as a user runs it: the gate refusal names the fields (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm, stored_events

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL


def test_open_advance_through_the_gates_and_flag_the_same_project(tmp_path: Path) -> None:
    assert crm("rep", "add", "li", cwd=tmp_path).returncode == 0
    customer = as_json(crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
                           "--actor", "li", "--json", cwd=tmp_path))["customer_id"]
    opened = crm("opportunity", "open", customer, "--title", "数据中台一期", "--category",
                 "数据中台", "--need", "搭建企业数据中台", "--expected-close", "2027-03-31",
                 "--actor", "li", "--json", cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    oid = as_json(opened)["opportunity_id"]
    before = stored_events(tmp_path / "crm.db")
    refused = crm("opportunity", "advance", oid, "--to", "proposal", "--set",
                  "budget_range=100万", "--actor", "li", "--json", cwd=tmp_path)
    assert refused.returncode == 3
    assert (as_json(refused)["rule"], as_json(refused)["missing"]) == (
        "gate", ["decision_maker"]
    )
    assert stored_events(tmp_path / "crm.db") == before + 1, "only the refusal is recorded"
    moved = crm("opportunity", "advance", oid, "--to", "proposal", "--set",
                "budget_range=100万", "--set", "decision_maker=王总", "--actor", "li",
                "--json", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert as_json(moved)["stage"] == "proposal"
    again = crm("opportunity", "open", customer, "--title", "数据平台", "--category",
                "数据中台", "--need", "企业数据中台搭建", "--actor", "li", "--json", cwd=tmp_path)
    assert as_json(again)["suspected_duplicate_of"] == oid
    bad = crm("opportunity", "open", customer, "--title", "x", "--category", "y",
              "--amount", "12.345", "--actor", "li", cwd=tmp_path)
    assert bad.returncode == 2
    assert "amount" in bad.stderr
