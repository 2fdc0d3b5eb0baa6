"""``crm audit`` as an auditor runs it: owner at a time, as known at a time, a timeline
page, and a verdict that is the same bytes from another process and after a rebuild."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STORES
from tests.e2e.test_cli import as_json
from tests.e2e.test_cli import crm as crm_in


@pytest.fixture(params=STORES)
def crm(request: pytest.FixtureRequest) -> Any:
    """``crm`` on a SQLite file in the working directory, or on a PostgreSQL database."""
    if request.param == "postgres":
        from tests.postgres_server import fresh_database

        return partial(crm_in, env={"CRM_DB": fresh_database()})
    return crm_in


def _office_with_a_transfer(crm: Any, cwd: Path) -> str:
    for rep in ("li", "wang"):
        assert crm("rep", "add", rep, "--team", "north", cwd=cwd).returncode == 0
    assert crm("rep", "add", "boss", "--team", "north", "--supervisor", cwd=cwd).returncode == 0
    customer = as_json(crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
                           "--actor", "li", "--json", cwd=cwd))["customer_id"]
    moved = crm("transfer", customer, "--to", "wang", "--by", "boss", cwd=cwd)
    assert moved.returncode == 0, moved.stderr
    return str(customer)


def test_an_auditor_reads_who_owned_it_when_and_settles_the_dispute(
    crm: Any, tmp_path: Path
) -> None:
    customer = _office_with_a_transfer(crm, tmp_path)
    page = tmp_path / "timeline.html"
    shown = crm("audit", "timeline", customer, "--html", str(page), "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    periods = as_json(shown)["periods"]
    assert [(p["owner"], p["began"], p["ended"]) for p in periods] == [
        ("li", "assigned", "transferred"), ("wang", "transferred", None)]
    assert "<svg" in page.read_text(encoding="utf-8")
    while_li = periods[0]["from"]

    then = as_json(crm("audit", "owner-at", customer, "--at", while_li, "--json", cwd=tmp_path))
    assert (then["owner"], then["status"], then["protected"]) == ("li", "owned", True)
    assert then["evidence"][-1]["event"] == "ownership.assigned"
    # Asked as known before the transfer was recorded, today's owner is still li.
    before = as_json(crm("audit", "owner-at", customer, "--as-known-at", while_li, "--json",
                         cwd=tmp_path))
    now = as_json(crm("audit", "owner-at", customer, "--json", cwd=tmp_path))
    assert (before["owner"], now["owner"]) == ("li", "wang")

    args = ("audit", "dispute", customer, "--claimant", "wang", "--claimant", "li",
            "--at", while_li, "--json")
    first = crm(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    verdict = as_json(first)
    assert (verdict["winner"], verdict["rule"]) == ("li", "protection")
    assert set(verdict["losers"]) == {"wang"}
    assert crm("projections", "rebuild", cwd=tmp_path).returncode == 0
    again = crm(*args, cwd=tmp_path)
    assert again.stdout == first.stdout  # another process, after a rebuild: the same bytes
    table = crm("audit", "dispute", customer, "--claimant", "wang", "--claimant", "li",
                "--at", while_li, cwd=tmp_path)
    assert "li by protection" in table.stdout
    assert verdict["digest"] in table.stdout.replace("\n", "")


def test_bad_audit_questions_name_the_field_and_unknown_customers_are_not_found(
    tmp_path: Path,
) -> None:
    customer = _office_with_a_transfer(crm_in, tmp_path)
    cases = [
        (("audit", "dispute", customer), 2, "claimants"),
        (("audit", "dispute", customer, "--claimant", "li", "--at", "yesterday"), 2, "at"),
        (("audit", "owner-at", customer, "--as-known-at", "2999-01-01T00:00:00+00:00"), 2,
         "as_known_at"),
        (("audit", "owner-at", "not-a-uuid"), 2, "customer_id"),
        (("audit", "owner-at", "00000000-0000-0000-0000-000000000001"), 4, None),
        (("audit", "dispute", "--order", "00000000-0000-0000-0000-000000000001",
          "--claimant", "li"), 4, None),
    ]
    for args, code, field in cases:
        result = crm_in(*args, "--json", cwd=tmp_path)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        if field:
            assert as_json(result)["field"] == field, args
        assert "Traceback" not in result.stderr
