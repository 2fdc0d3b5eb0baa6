"""``crm duplicates scan|report`` over data that got in unchecked, then merge and split."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcore import CrmApplication
from crmcore.identity.duplicate_scan import scan_duplicates
from projections.duplicate_candidates import read_report
from projections.tables import open_read_models
from tests.e2e.test_cli import as_json, crm, store_env, views_url
from tests.e2e.test_import_export import SEED_ROWS, read_csv, write_csv

# The seeds as a legacy system exported them: A-3's phone is left out so that warn mode
# lets every row in (an exact key blocks in every mode).
LEGACY_ROWS = [
    {k: v for k, v in row.items() if not (row["external_id"] == "A-3" and k == "phone")}
    for row in SEED_ROWS
    if row["external_id"] != "A-10"  # the invalid row
]

pytestmark = pytest.mark.usefixtures("each_store")


def ids_by_external_id(tmp_path: Path) -> dict[str, str]:
    result = crm("export", "customers", "-o", "all.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return {row["external_id"]: row["customer_id"] for row in read_csv(tmp_path / "all.csv")}


def test_scan_finds_the_seed_duplicates_that_got_in_and_a_merge_removes_them(
    tmp_path: Path,
) -> None:
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS)
    imported = crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    ids = ids_by_external_id(tmp_path)
    assert len(ids) == 9  # everything got in

    scanned = crm("duplicates", "scan", "--json", cwd=tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    report = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))
    pairs = {
        frozenset((p["customer_a"], p["customer_b"])): p for p in report["pairs"]
    }
    expected_merges = [("A-1", "A-2"), ("A-1", "A-3"), ("A-2", "A-3"), ("A-4", "A-5"),
                       ("A-6", "A-7")]
    for a, b in expected_merges:
        pair = pairs[frozenset((ids[a], ids[b]))]
        assert pair["suggested_action"] == "merge", (a, b, pair)
        assert pair["rule"] == "same_company"
    near_phone = pairs[frozenset((ids["A-8"], ids["A-9"]))]
    assert (near_phone["suggested_action"], near_phone["rule"]) == (
        "review", "near_phone_same_contact")
    assert near_phone["features"]["phone_near"] == 1.0
    assert len(pairs) == 6
    summary = as_json(scanned)
    assert (summary["engine"], summary["pairs"]) == ("duckdb", 6)
    assert summary["by_action"] == {"merge": 5, "review": 1, "ignore": 0, "dismissed": 0}

    merged = crm("customer", "merge", ids["A-1"], ids["A-2"], "--reason", "scan: same company",
                 "--json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert as_json(merged)["absorbed"] == [ids["A-2"]]
    after = as_json(crm("duplicates", "report", "--json", "--action", "merge", cwd=tmp_path))
    remaining = {frozenset((p["customer_a"], p["customer_b"])) for p in after["pairs"]}
    assert frozenset((ids["A-1"], ids["A-2"])) not in remaining  # one customer now
    assert frozenset((ids["A-1"], ids["A-3"])) in remaining

    split = crm("customer", "split", ids["A-2"], "--reason", "merged by mistake", "--json",
                cwd=tmp_path)
    assert split.returncode == 0, split.stderr
    assert as_json(split)["merged_into"] is None
    again = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))
    assert again["pairs"] == report["pairs"]  # the split restored exactly the first picture
    # Kept current without a scan: the merge and the split were recomputed for the
    # customers they touched, and a scan of the whole book now agrees.
    assert crm("duplicates", "scan", cwd=tmp_path).returncode == 0
    assert as_json(crm("duplicates", "report", "--json", cwd=tmp_path))["pairs"] == report["pairs"]


def test_merge_without_a_reason_or_of_an_unknown_customer_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS[:2])
    crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path)
    ids = ids_by_external_id(tmp_path)
    no_reason = crm("customer", "merge", ids["A-1"], ids["A-2"], "--reason", " ", "--json",
                    cwd=tmp_path)
    assert no_reason.returncode == 2
    assert as_json(no_reason)["field"] == "reason"
    unknown = crm("customer", "merge", ids["A-1"], "00000000-0000-4000-8000-000000000000",
                  "--reason", "x", cwd=tmp_path)
    assert unknown.returncode == 4
    not_merged = crm("customer", "split", ids["A-1"], "--reason", "x", "--json", cwd=tmp_path)
    assert not_merged.returncode == 3
    assert as_json(not_merged)["rule"] == "not_a_tombstone"


def test_a_report_without_a_scan_scans_the_book_itself(tmp_path: Path) -> None:
    empty = crm("duplicates", "report", cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert "0 of 0 suspected pairs" in empty.stdout
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS)
    crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path)
    first = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))
    assert len(first["pairs"]) == 6
    assert first["scanned_through"] is not None


def test_a_rebuilt_report_is_identical(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS)
    crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path)
    crm("duplicates", "scan", cwd=tmp_path)
    engine = open_read_models(views_url(tmp_path / "crm.db"))
    first = read_report(engine)
    app = CrmApplication(store_env(tmp_path / "crm.db"))  # folds the log into memory
    rebuilt = scan_duplicates(app.identity).pairs
    app.close()
    engine.dispose()
    assert [(r.customer_a, r.customer_b, r.score, r.features, r.rule) for r in first.rows] == [
        (str(p.customer_a), str(p.customer_b), p.score, p.features, p.rule) for p in rebuilt]
    assert first.position is not None


def test_a_dismissed_pair_leaves_the_report_and_no_scan_brings_it_back(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS)
    assert crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path).returncode == 0
    ids = ids_by_external_id(tmp_path)
    assert crm("duplicates", "scan", cwd=tmp_path).returncode == 0
    a, b = ids["A-8"], ids["A-9"]  # the near-phone pair: a review

    no_reason = crm("duplicates", "dismiss", a, b, "--reason", " ", "--json", cwd=tmp_path)
    assert no_reason.returncode == 2
    assert as_json(no_reason)["field"] == "reason"
    dismissed = crm("duplicates", "dismiss", b, a, "--reason", "two shops, two owners",
                    "--actor", "auditor", "--json", cwd=tmp_path)
    assert dismissed.returncode == 0, dismissed.stderr
    assert as_json(dismissed)["dismissed"] == {
        "customer_a": min(a, b), "customer_b": max(a, b)}
    again = crm("duplicates", "dismiss", a, b, "--reason", "again", "--json", cwd=tmp_path)
    assert again.returncode == 3
    assert as_json(again)["rule"] == "already_dismissed"
    unknown = crm("duplicates", "dismiss", a, "00000000-0000-4000-8000-000000000000",
                  "--reason", "x", cwd=tmp_path)
    assert unknown.returncode == 4

    def pairs() -> set[frozenset[str]]:
        report = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))
        return {frozenset((p["customer_a"], p["customer_b"])) for p in report["pairs"]}

    assert frozenset((a, b)) not in pairs()
    assert len(pairs()) == 5
    rescanned = as_json(crm("duplicates", "scan", "--json", cwd=tmp_path))
    assert rescanned["by_action"] == {"merge": 5, "review": 0, "ignore": 0, "dismissed": 1}
    assert frozenset((a, b)) not in pairs()
    shown = crm("duplicates", "scan", cwd=tmp_path)
    assert "5 pairs worth a look (5 merge, 0 review, 0 ignore, 1 dismissed)" in shown.stdout
    assert "pair and screen" in shown.stdout
