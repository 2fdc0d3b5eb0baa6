"""``crm group`` as a manager and two reps use it: trees, refusals, cross-group warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm, stored_events

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL


def _add(tmp_path: Path, name: str, actor: str = "rep-1") -> str:
    result = crm("customer", "add", "--company-name", name, "--json", cwd=tmp_path,
                 env={"CRM_ACTOR": actor})
    assert result.returncode == 0, result.stderr
    return str(as_json(result)["customer_id"])


def test_a_group_is_linked_shown_refused_a_cycle_and_warns_another_rep(tmp_path: Path) -> None:
    for rep in ("rep-1", "rep-2"):
        assert crm("rep", "add", rep, "--team", "north", cwd=tmp_path).returncode == 0
    parent = _add(tmp_path, "美的集团股份有限公司")
    child = _add(tmp_path, "美的集团武汉制冷设备有限公司")
    linked = crm("group", "link", child, parent, "--relation", "subsidiary", "--json",
                 cwd=tmp_path)
    assert linked.returncode == 0, linked.stderr
    group = as_json(linked)["group"]
    assert [(m["customer_id"], m["depth"]) for m in group["members"]] == [(parent, 0), (child, 1)]

    before = stored_events(tmp_path / "crm.db")
    cycle = crm("group", "link", parent, child, "--relation", "branch", "--json", cwd=tmp_path)
    assert cycle.returncode == 3
    assert as_json(cycle)["rule"] == "cycle"
    assert stored_events(tmp_path / "crm.db") == before
    bad = crm("group", "link", child, parent, "--relation", "cousin", cwd=tmp_path)
    assert bad.returncode == 2

    warned = crm("customer", "add", "--company-name", "美的集团财务有限公司", cwd=tmp_path,
                 env={"CRM_ACTOR": "rep-2", "CRM_ROLE": "rep"})
    assert warned.returncode == 0, warned.stderr
    assert "cross-group collision" in warned.stdout
    assert "rep-1" in warned.stdout

    shown = as_json(crm("group", "show", child, "--json", cwd=tmp_path))
    assert shown["group"]["root_id"] == parent
    history = as_json(crm("group", "history", child, "--json", cwd=tmp_path))
    assert {row["customer_id"] for row in history} == {parent, child}

    unlinked = crm("group", "unlink", child, "--json", cwd=tmp_path)
    assert unlinked.returncode == 0, unlinked.stderr
    assert as_json(unlinked)["group"] is None
    assert as_json(crm("group", "show", parent, "--json", cwd=tmp_path))["group"] is None
    again = crm("group", "unlink", child, cwd=tmp_path)
    assert again.returncode == 3
    assert "not_linked" in again.stderr or "hangs below nobody" in again.stderr
