"""Ownership as a sales team runs it from the shell: reps, assign, claim, follow-up,
release, the pool, the sweeper, transfer and a rep leaving - real processes, one file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import as_json, crm, stored_events

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL


def ok(*args: str, cwd: Path, **env: str) -> Any:
    result = crm(*args, "--json", cwd=cwd, env=env or None)
    assert result.returncode == 0, result.stdout + result.stderr
    return as_json(result)


def refused(*args: str, cwd: Path) -> Any:
    before = stored_events(cwd / "crm.db")
    result = crm(*args, "--json", cwd=cwd)
    assert result.returncode == 3, result.stdout + result.stderr
    assert stored_events(cwd / "crm.db") == before + 1, "only the collision is recorded"
    return as_json(result)


def test_a_customer_is_assigned_worked_released_and_claimed_by_the_rules(tmp_path: Path) -> None:
    for rep, region in (("li", "北京"), ("wang", "上海")):
        ok("rep", "add", rep, "--team", "north", "--region", region, cwd=tmp_path)
    ok("rep", "add", "boss", "--team", "north", "--supervisor", cwd=tmp_path)
    added = ok("customer", "add", "--company-name", "北京星河科技有限公司", "--region", "北京",
               cwd=tmp_path, CRM_ACTOR="importer")
    cid = added["customer_id"]
    assert ok("customer", "owner", cid, cwd=tmp_path)["status"] == "unassigned"

    assigned = ok("assign", cid, cwd=tmp_path)
    assert (assigned["owner"], assigned["rule"]) == ("li", "workload by region")

    protected = refused("claim", cid, "--rep", "wang", cwd=tmp_path)
    assert (protected["rule"], protected["other_party"]) == ("protected", "li")
    human = crm("claim", cid, "--rep", "wang", cwd=tmp_path)
    assert "refused by rule protected" in human.stderr
    assert "li" in human.stderr

    bare = crm("follow-up", cid, "--rep", "li", "--channel", "phone", "--content", "done",
               "--outcome", "ok", "--next", "2099-01-01T10:00", cwd=tmp_path)
    assert bare.returncode == 2
    assert "content" in bare.stderr
    later = ok("follow-up", cid, "--rep", "li", "--channel", "wechat", "--content",
               "发了产品手册，约了下周演示", "--outcome", "客户有兴趣", "--next",
               _days_ahead(5), cwd=tmp_path)
    assert later["counted"] is True
    stranger = ok("follow-up", cid, "--rep", "wang", "--channel", "phone", "--content",
                  "客户来电咨询价格", "--outcome", "转给了李", "--next", _days_ahead(2),
                  cwd=tmp_path)
    assert (stranger["counted"], stranger["owner"]) == (False, "li")

    assert refused("release", cid, "--rep", "wang", "--reason", "想要", cwd=tmp_path)[
        "rule"] == "not_owner"
    released = ok("release", cid, "--rep", "li", "--reason", "客户已选择竞品", cwd=tmp_path)
    assert (released["status"], released["previous_owner"]) == ("in pool", "li")
    pool = ok("pool", "list", cwd=tmp_path)
    assert [(c["customer_id"], c["reason"], c["name"]) for c in pool["customers"]] == [
        (cid, "released", "北京星河科技有限公司")]
    cooldown = refused("claim", cid, "--rep", "li", cwd=tmp_path)
    assert cooldown["rule"] == "cooldown"
    assert ok("claim", cid, "--rep", "wang", cwd=tmp_path)["owner"] == "wang"
    moved = ok("transfer", cid, "--to", "li", "--by", "boss", cwd=tmp_path)
    assert (moved["owner"], moved["previous_owner"]) == ("li", "wang")

    left = ok("rep", "leave", "li", "--to-pool", cwd=tmp_path)
    assert left["status"] == "left"
    assert left["moved"] == [{"customer_id": cid, "action": "released"}]
    assert ok("customer", "owner", cid, cwd=tmp_path)["status"] == "in pool"

    history = ok("customer", "owners", cid, cwd=tmp_path)["owners"]
    assert [(h["owner"], h["began"], h["rule"], h["ended"], h["why"]) for h in history] == [
        ("li", "assigned", "workload by region", "released", "released"),
        ("wang", "claimed", None, "transferred", "to li"),
        ("li", "transferred", None, "released", "released"),
    ]
    assert history[0]["to"] <= history[1]["from"] <= history[1]["to"] == history[2]["from"]
    unknown = crm("customer", "owners", "00000000-0000-4000-8000-000000000000", cwd=tmp_path)
    assert unknown.returncode == 4


def test_the_sweeper_recycles_an_uncontacted_claim_and_refuses_the_future(
    tmp_path: Path,
) -> None:
    (tmp_path / "crm.toml").write_text("[ownership]\nclaim_contact_hours = 0.0001\n")
    ok("rep", "add", "li", cwd=tmp_path)
    cid = ok("customer", "add", "--company-name", "上海某某贸易有限公司", cwd=tmp_path,
             CRM_ACTOR="importer")["customer_id"]
    ok("claim", cid, "--rep", "li", cwd=tmp_path)
    time.sleep(0.5)  # past the 0.36 s first-contact deadline

    future = crm("sweep", "--now", "2099-01-01T00:00:00+08:00", "--json", cwd=tmp_path)
    assert future.returncode == 2
    assert as_json(future)["field"] == "now"
    swept = ok("sweep", cwd=tmp_path)
    assert swept["counts"] == {"recycled:no_first_contact": 1}
    assert ok("sweep", cwd=tmp_path)["counts"] == {}, "a second sweep finds nothing"
    assert ok("customer", "owner", cid, cwd=tmp_path)["pool_reason"] == "no_first_contact"
    shown = ok("rep", "show", "li", cwd=tmp_path)
    assert shown["open_customers"] == 0
    assert [d["claims"] for d in shown["claims_per_day"]] == [1]


def test_bad_input_names_the_field_and_changes_nothing(tmp_path: Path) -> None:
    ok("rep", "add", "li", cwd=tmp_path)
    before = stored_events(tmp_path / "crm.db")
    for args, field in (
        (("rep", "add", "bad id!"), "rep_id"),
        (("rep", "add", "x", "--tier", "11"), "tier"),
        (("rep", "leave", "li"), "handover_to"),
        (("claim", "not-a-uuid", "--rep", "li"), "customer_id"),
        (("sweep", "--now", "yesterday"), "now"),
    ):
        result = crm(*args, "--json", cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert as_json(result)["field"] == field
    missing = crm("rep", "show", "nobody", "--json", cwd=tmp_path)
    assert missing.returncode == 4
    assert stored_events(tmp_path / "crm.db") == before


def _days_ahead(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(tz=UTC) + timedelta(days=days)).isoformat()  # noqa: TID251
