"""``crm duplicates scan --engine spark`` as a user runs it: a real JVM in local mode.

One store (SQLite): the book is read by the same code for both engines and both
stores (tests/e2e/test_duplicates_scan.py covers PostgreSQL); what is Spark's own -
starting it, staging the book, its SQL - is what this checks, against DuckDB's report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.test_cli import as_json, crm
from tests.e2e.test_duplicates_scan import LEGACY_ROWS
from tests.e2e.test_import_export import write_csv
from tests.spark_session import LOCAL_SPARK


def test_the_spark_scan_writes_the_report_duckdb_writes(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "legacy.csv", LEGACY_ROWS)
    assert crm("import", "customers", str(source), "--mode", "warn", cwd=tmp_path).returncode == 0
    on_duckdb = as_json(crm("duplicates", "scan", "--json", cwd=tmp_path))
    duckdb_report = as_json(crm("duplicates", "report", "--json", cwd=tmp_path))
    staging = tmp_path / "staging"
    staging.mkdir()

    scanned = crm("duplicates", "scan", "--engine", "spark", "--staging", str(staging),
                  "--json", cwd=tmp_path, env=LOCAL_SPARK)

    assert scanned.returncode == 0, scanned.stderr
    on_spark = as_json(scanned)
    assert on_spark["engine"] == "spark"
    assert (on_spark["pairs"], on_spark["by_action"]) == (6, on_duckdb["by_action"])
    assert list(on_spark["seconds"]) == list(on_duckdb["seconds"])
    assert as_json(crm("duplicates", "report", "--json", cwd=tmp_path))["pairs"] == (
        duckdb_report["pairs"])
    assert list(staging.iterdir()) == []  # the staged book is removed afterwards


def test_without_java_the_spark_scan_says_what_to_install(tmp_path: Path) -> None:
    no_java = {"PATH": str(Path(sys.executable).parent), "JAVA_HOME": ""}
    scanned = crm("duplicates", "scan", "--engine", "spark", "--json", cwd=tmp_path,
                  env=no_java)
    assert scanned.returncode == 1
    error = as_json(scanned)
    assert error["error"] == "engine_unavailable"
    assert "Java runtime" in error["message"]
    assert "Traceback" not in scanned.stderr
