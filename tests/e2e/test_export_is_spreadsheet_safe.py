"""``crm export`` never writes a cell a spreadsheet would execute, and what it writes
imports back as it was."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL

HOSTILE = {"--company-name": "=cmd|' /C calc'!A0", "--contact-name": "@SUM(A1:A9)",
           "--region": "+86 北京", "--industry": "-1+1"}


def test_formula_like_cells_are_neutralised_on_export_and_restored_on_import(
    tmp_path: Path,
) -> None:
    args = [part for pair in HOSTILE.items() for part in pair]
    added = crm("customer", "add", *args, "--phone", "13800138000", "--json", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    exported = tmp_path / "out.csv"
    assert crm("export", "customers", "-o", str(exported), cwd=tmp_path).returncode == 0
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    # Only a plain signed number (the phone in E.164) may start like a formula.
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == ["+8613800138000"]
    assert "'=cmd|' /C calc'!A0" in cells
    # Read back by crm's own importer, the names are what was entered: the same customer.
    again = crm("import", "customers", str(exported), "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    report = as_json(again)
    assert report["outcomes"].get("created", 0) == 0
    shown = as_json(crm("customer", "show", as_json(added)["customer_id"], "--json",
                        cwd=tmp_path))
    assert shown["company_name"] == HOSTILE["--company-name"]
