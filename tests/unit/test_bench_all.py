"""scripts/bench_all.py keeps one table at the top of docs/performance.md: built from the
figures the benchmarks report, replaced (never appended) on every run, the history
below it untouched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_all
from bench_figures import figure

PERFORMANCE = """# Performance

Figures are measured by scripts.

## An old section

history that stays
"""


def test_figures_reach_the_table_and_a_rerun_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported = tmp_path / "run.jsonl"
    monkeypatch.setenv("CRM_BENCH_FIGURES", str(reported))
    figure("register, one command a transaction", 208.4, "/s", raw=1087.0, target=">= 40%")
    figure("crm sweep, 1,000 due", 3.94, "s", detail="book of 10,000")
    monkeypatch.delenv("CRM_BENCH_FIGURES")
    figure("not recorded without the variable", 1.0, "s")
    lines = [json.loads(line) for line in reported.read_text(encoding="utf-8").splitlines()]
    assert [line["key"] for line in lines] == [
        "register, one command a transaction", "crm sweep, 1,000 due"]

    docs = tmp_path / "performance.md"
    docs.write_text(PERFORMANCE, encoding="utf-8")
    monkeypatch.setattr(bench_all, "PERFORMANCE", docs)
    monkeypatch.setattr(bench_all, "FIGURES", tmp_path / "bench" / "figures.json")
    stamp = {"date": "2026-12-07", "commit": "abc1234", "machine": "vm, 2 cores",
             "command": "python scripts/bench_register.py --customers 10000"}
    figures = {line.pop("key"): {**line, **stamp} for line in lines}
    bench_all.rewrite(figures)
    text = docs.read_text(encoding="utf-8")
    assert text.index("Figures are measured") < text.index(bench_all.BEGIN)
    assert text.index(bench_all.END) < text.index("## An old section")
    assert "| register, one command a transaction | 208/s | 1,087/s | **19%** | >= 40% |" in text
    assert "| crm sweep, 1,000 due | 3.9 s | - | - | - | book of 10,000 |" in text

    figures["crm sweep, 1,000 due"]["value"] = 2.5
    bench_all.rewrite(figures)
    again = docs.read_text(encoding="utf-8")
    assert again.count(bench_all.BEGIN) == 1
    assert "| crm sweep, 1,000 due | 2.5 s |" in again
    assert again.endswith("history that stays\n")
    kept = json.loads((tmp_path / "bench" / "figures.json").read_text(encoding="utf-8"))
    assert kept["crm sweep, 1,000 due"]["value"] == 2.5
