"""``crm projections`` as an operator runs it, and the acceptance of the read side:
dropping a view's tables and rebuilding gives the same answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from projections.registry import ALL_VIEWS
from tests.e2e.test_cli import as_json, crm, views_url
from tests.e2e.test_import_survives import write_rows

pytestmark = pytest.mark.usefixtures("each_store")


def _drop(tmp_path: Path, *tables: str) -> None:
    """Drops view tables behind crm's back, as an operator's mistake would."""
    engine = create_engine(views_url(tmp_path / "crm.db"))
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DROP TABLE {table}"))
    engine.dispose()


def _book(tmp_path: Path) -> None:
    rows = [
        {"company_name": f"{city}{brand}科技有限公司", "phone": f"1390013{n:04d}", "region": city}
        for n, (city, brand) in enumerate(
            (c, b) for c in ("北京", "上海", "深圳") for b in ("华信", "博远", "天宇", "星辰")
        )
    ]
    source = write_rows(tmp_path / "book.csv", rows)
    assert crm("import", "customers", str(source), cwd=tmp_path).returncode == 0


def test_a_dropped_view_rebuilt_from_the_log_lists_the_same_customers(tmp_path: Path) -> None:
    _book(tmp_path)
    before = crm("customer", "list", "--limit", "5", "--offset", "2", "--json", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    _drop(tmp_path, "customer_directory")
    rebuilt = crm("projections", "rebuild", "--json", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert as_json(rebuilt)["events"] >= 12
    after = crm("customer", "list", "--limit", "5", "--offset", "2", "--json", cwd=tmp_path)
    assert as_json(after) == as_json(before)
    assert as_json(after)["total"] == 12


def test_every_view_table_deleted_and_rebuilt_answers_as_before(tmp_path: Path) -> None:
    """The issue's acceptance: the pool, the customer list, a customer's owners and the
    duplicates report are the same after every view's tables are deleted and rebuilt."""
    _book(tmp_path)
    customers = as_json(crm("customer", "list", "--json", cwd=tmp_path))["customers"]
    first, second = (c["customer_id"] for c in customers[:2])
    assert crm("rep", "add", "li", cwd=tmp_path).returncode == 0
    for cid in (first, second):
        assert crm("claim", cid, "--rep", "li", cwd=tmp_path).returncode == 0
    released = crm("release", first, "--rep", "li", "--reason", "暂无需求", cwd=tmp_path)
    assert released.returncode == 0, released.stderr
    assert crm("duplicates", "scan", cwd=tmp_path).returncode == 0
    assert crm("projections", "run", "--once", cwd=tmp_path).returncode == 0  # every view
    questions = (
        ("customer", "list", "--json"),
        ("pool", "list", "--json"),
        ("customer", "owners", first, "--json"),
        ("duplicates", "report", "--json"),
    )
    before = [as_json(crm(*question, cwd=tmp_path)) for question in questions]
    assert before[1]["total"] == 1
    assert len(before[2]["owners"]) == 1
    assert before[3]["pairs"], "the book has look-alike brands in other cities"

    # Each exists (every view ran above); a view's own tables last to first.
    _drop(tmp_path, *(t.name for view in ALL_VIEWS for t in reversed(view.tables)))
    assert crm("projections", "rebuild", cwd=tmp_path).returncode == 0
    # No scan: the report brings itself current from the rebuilt views.
    assert [as_json(crm(*question, cwd=tmp_path)) for question in questions] == before


def test_status_shows_position_lag_and_rows_and_a_command_catches_up_itself(
    tmp_path: Path,
) -> None:
    _book(tmp_path)
    status = as_json(crm("projections", "status", "--json", cwd=tmp_path))
    names = [v["name"] for v in status["views"]]
    assert names == [
        "customer_directory",
        "ownership",
        "sales_org",
        "ownership_timeline",
        "collisions",
        "identity",
        "duplicate_candidates",
        "leads",
        "funnel",
        "attribution",
    ]
    view = _view(status, "customer_directory")
    assert view["lag"] == 12
    assert view["rows"] == 0
    listed = as_json(crm("customer", "list", "--region", "深圳", "--json", cwd=tmp_path))
    assert listed["total"] == 4
    status = as_json(crm("projections", "status", "--json", cwd=tmp_path))
    view = _view(status, "customer_directory")
    assert (view["lag"], view["rows"]) == (0, 12)
    assert isinstance(view["position"], int)


def test_run_once_applies_what_waits_and_an_unknown_view_exits_2(tmp_path: Path) -> None:
    _book(tmp_path)
    ran = as_json(crm("projections", "run", "--once", "--json", cwd=tmp_path))
    # Twelve registrations, and a warning for each brand met again in another city
    # (the collisions view reads those).
    status = as_json(crm("projections", "status", "--json", cwd=tmp_path))
    warned = _view(status, "collisions")["rows"]
    assert warned > 0
    assert ran["events"] == 12 + warned
    # The follower also brought the duplicate report current: its marks are taken
    # (the rows are the pairs and the one state row), and the report has the pairs.
    pairs = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))["pairs"]
    assert pairs
    assert _view(status, "duplicate_candidates")["rows"] == len(pairs) + 1
    again = as_json(crm("projections", "run", "--once", "--json", cwd=tmp_path))
    assert again["events"] == 0
    unknown = crm("projections", "rebuild", "pipeline", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "customer_directory" in unknown.stderr


def _view(status: dict[str, Any], name: str) -> dict[str, Any]:
    return next(view for view in status["views"] if view["name"] == name)
