"""Benchmark: how well the identity check flags duplicates on a labelled data set.

Generates a seeded book (``adapters.demo_data``: originals, re-entries of every
variation kind, hard non-duplicates: a similar name in the same city, the same person
at another company, the same 字号 registered in another province, the same 字号 with
another 行业 word), imports it through the real import path on a fresh SQLite store per
mode, and prints per variation kind and overall: precision and recall of "flagged as
duplicate" (blocked, warned or merged), and wrong blocks - rows blocked or merged into
a customer of another company. Targets in every mode: recall >= 0.98, precision >=
0.995, zero wrong blocks.

    python scripts/bench_identity_quality.py --customers 15000 [--mode block|warn|merge] [--pii]
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.bootstrap import open_application
from adapters.dedup_scoring import RowOutcome, score
from adapters.demo_data import DemoDataset, generate
from adapters.importing import import_rows
from adapters.settings import Settings
from crmcore.config import DedupMode

TARGETS = {"recall": 0.98, "precision": 0.995, "wrong_blocks": 0}


def run(
    data: DemoDataset, mode: DedupMode, folder: Path, pii: bool, typo_block_size: int | None
) -> dict[str, Any]:
    """One mode's import on a new SQLite book, through the application every ``crm``
    command opens (the persisted identity view; with ``pii`` a master key, so the view
    seals personal data and keys its blocks; ``typo_block_size`` overrides the setting)."""
    protection = {"master_key": base64.b64encode(os.urandom(32)).decode()} if pii else {}
    identity = {} if typo_block_size is None else {"typo_block_size": typo_block_size}
    settings = Settings(
        db=folder / f"quality-{mode.value}.db", pii=protection, identity=identity
    )
    app = open_application(settings)
    began = time.perf_counter()
    try:
        imported = list(
            import_rows(
                app,
                (r.fields for r in data.rows),
                actor="bench",
                phone_region="CN",
                batch_size=settings.registration.batch_size,
                mode=mode,
            )
        )
    finally:
        app.close()
    seconds = time.perf_counter() - began
    errors = sum(row.outcome == "error" for row in imported)
    report = score(
        [
            RowOutcome(record, row.outcome, row.customer_id, row.matched_customer_ids, row.rule)
            for record, row in zip(data.rows, imported, strict=True)
        ]
    )
    return {"report": report, "seconds": seconds, "rows": len(imported), "errors": errors}


def show(mode: DedupMode, result: dict[str, Any]) -> bool:
    """Prints one mode's table; True when every target is met."""
    report, seconds, rows = result["report"], result["seconds"], result["rows"]
    print(f"\n== mode {mode.value}: {rows:,} rows in {seconds:.1f} s "
          f"({rows / seconds:,.0f} rows/s), {result['errors']} error rows")
    print(f"{'variation':28} {'rows':>6} {'dups':>6} {'flagged':>7} {'right':>6} "
          f"{'precision':>9} {'recall':>7} {'wrong blocks':>12}")
    for kind, s in [*report["by_variation"].items(), ("OVERALL", report["overall"])]:
        print(f"{kind:28} {s['rows']:>6} {s['true_duplicates']:>6} {s['flagged']:>7} "
              f"{s['right']:>6} {_fmt(s['precision']):>9} {_fmt(s['recall']):>7} "
              f"{s['wrong_blocks']:>12}")
    overall = report["overall"]
    met = (
        (overall["recall"] or 0) >= TARGETS["recall"]
        and (overall["precision"] or 0) >= TARGETS["precision"]
        and overall["wrong_blocks"] == TARGETS["wrong_blocks"]
        and result["errors"] == 0
    )
    print(f"targets (recall >= {TARGETS['recall']}, precision >= {TARGETS['precision']}, "
          f"0 wrong blocks, 0 errors): {'met' if met else 'NOT MET'}")
    for wrong in report["wrong_blocks"][:20]:
        print("   wrong:", wrong)
    return met


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=15_000, help="originals to generate")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--mode", type=DedupMode, choices=list(DedupMode), action="append",
                        help="a dedup mode to run (repeatable) [default: all three]")
    parser.add_argument("--pii", action="store_true",
                        help="books with a master key (personal data sealed in the views)")
    parser.add_argument("--typo-block-size", type=int,
                        help="identity.typo_block_size for the run: a small one makes a "
                             "small book read its crowded typo sounds through the surname "
                             "blocks, as a large book does")
    args = parser.parse_args()
    data = generate(args.customers, args.seed, duplicate_share=0.34, negative_share=0.1)
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | rows: {len(data.rows):,} (originals {args.customers:,}, "
          f"true duplicates {sum(r.is_duplicate for r in data.rows):,}) | seed {args.seed}"
          f" | personal data {'sealed (master key)' if args.pii else 'in clear'}"
          f" | typo block size {args.typo_block_size or 'default'}")
    every_target = True
    with tempfile.TemporaryDirectory() as folder:
        for mode in args.mode or list(DedupMode):
            result = run(data, mode, Path(folder), args.pii, args.typo_block_size)
            every_target &= show(mode, result)
    raise SystemExit(0 if every_target else 1)


if __name__ == "__main__":
    main()
