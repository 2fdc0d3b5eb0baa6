"""The headline figures of a benchmark run, handed to ``scripts/bench_all.py``.

Each benchmark prints its figures for a reader; the ones the summary table at the top of
``docs/performance.md`` shows are also given to :func:`figure`, which appends one JSON
line to the file named by ``CRM_BENCH_FIGURES`` when it is set (``bench_all`` sets it
for each run). The table is built from what was measured, not parsed from prose.
"""

from __future__ import annotations

import json
import os


def figure(
    key: str,
    value: float,
    unit: str,
    *,
    raw: float | None = None,
    target: str = "",
    detail: str = "",
) -> None:
    """Records one figure: ``key`` names the table's row ("register, one command a
    transaction"), ``raw`` is the store's own figure measured in the same run (the
    ratio is ``value / raw``), ``target`` what the issues ask, ``detail`` anything a
    reader needs beside the number (latencies, outcomes)."""
    path = os.environ.get("CRM_BENCH_FIGURES")
    if not path:
        return
    line = {"key": key, "value": value, "unit": unit, "raw": raw, "target": target,
            "detail": detail}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
