"""Benchmark: how well the identity check flags duplicates on a labelled data set.

Generates a seeded book (``adapters.demo_data``: originals, re-entries of every
variation kind, hard non-duplicates), imports it through the real import path on a
SQLite store in block mode, and prints precision, recall and F1 of "flagged as
duplicate" (blocked, warned or merged) per variation kind and overall, plus every
block of a true non-duplicate.

    python scripts/bench_identity_quality.py --customers 15000
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from adapters.dedup_scoring import RowOutcome, score
from adapters.demo_data import generate
from adapters.importing import import_rows
from adapters.settings import Settings
from crmcore import CrmApplication


def run(customers: int, seed: int, folder: Path) -> None:
    data = generate(customers, seed, duplicate_share=0.34, negative_share=0.06)
    settings = Settings(db=folder / "quality.db")
    app = CrmApplication(settings.eventsourcing_env(), config=settings.rules())
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | rows: {len(data.rows):,} (originals {customers:,}, "
          f"true duplicates {sum(r.is_duplicate for r in data.rows):,}) | seed {seed}")
    began = time.perf_counter()
    imported = list(import_rows(app, (r.fields for r in data.rows), actor="bench",
                                phone_region="CN", batch_size=settings.registration.batch_size))
    seconds = time.perf_counter() - began
    app.close()
    report = score([RowOutcome(record, row.outcome, row.customer_id, row.matched_customer_ids,
                               row.rule) for record, row in zip(data.rows, imported, strict=True)])
    print(f"import: {len(imported):,} rows in {seconds:.1f} s ({len(imported) / seconds:,.0f}"
          " rows/s, full identity check, batches of 100)")
    print(f"{'variation':28} {'rows':>6} {'dups':>6} {'flagged':>7} {'right':>6} "
          f"{'precision':>9} {'recall':>7} {'f1':>6}")
    for kind, s in [*report["by_variation"].items(), ("OVERALL", report["overall"])]:
        print(f"{kind:28} {s['rows']:>6} {s['true_duplicates']:>6} {s['flagged']:>7} "
              f"{s['right']:>6} {_fmt(s['precision']):>9} {_fmt(s['recall']):>7} "
              f"{_fmt(s['f1']):>6}")
    print(f"blocks of a true non-duplicate: {len(report['wrong_blocks'])}")
    for wrong in report["wrong_blocks"][:20]:
        print("  ", wrong)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=15_000, help="originals to generate")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args.customers, args.seed, Path(folder))


if __name__ == "__main__":
    main()
