"""Benchmark: the whole-book duplicate scan against Splink 5 on DuckDB, same book, same run.

    python scripts/bench_scan.py --customers 100000 [--dir /tmp/scan-100k] [--engine duckdb|spark]

The book (``scan_book.py``): N generated companies plus their re-entries of every
variation kind and hard non-duplicates, each row a customer as if imported before any
rule existed, filed into a SQLite identity view; kept in ``--dir`` and reused when the
size and seed match. crmcore's scan runs in a child process (its peak RSS is its own):
the engine's scan as ``crm duplicates scan`` runs it, without the report's write.
Splink runs in its own virtual environment (created on first use, ``--splink-env``;
Splink is not a dependency of crmcore) on the same rows, lower-cased, phones as digits.

Printed for both: wall time, peak RSS, pairs flagged, and on the book's labels the
precision (flagged pairs joining two rows of one company) and recall (re-entered rows
linked by a flagged pair to a row of their company).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import scan_book
from adapters.demo_data import EXACT_KEY_VARIATIONS, FUZZY_VARIATIONS

HERE = Path(__file__).resolve().parent
DUPLICATE_KINDS = frozenset(EXACT_KEY_VARIATIONS + FUZZY_VARIATIONS)


def _book(folder: Path, customers: int, seed: int) -> None:
    marker = folder / "book.json"
    if marker.exists() and json.loads(marker.read_text()) == {"customers": customers, "seed": seed}:
        print(f"book: reusing {folder}")
        return
    began = time.perf_counter()
    scan_book.build(folder, customers, seed)
    print(f"book: built in {time.perf_counter() - began:.0f} s into {folder}")


def scan_only(folder: Path, engine: str) -> None:
    """The child process: crmcore's scan of the book; pairs to ``crmcore_pairs.tsv``."""
    from adapters.duplicate_scan.scan import engine_scan
    from crmcore.config import IdentityConfig
    from identity_book import filed_checker
    from projections.tables import open_read_models

    views = open_read_models(f"sqlite:///{folder / 'views.db'}")
    checker = filed_checker(views, IdentityConfig())
    began = time.perf_counter()
    outcome = engine_scan(views, engine)(checker)
    seconds = time.perf_counter() - began
    with (folder / "crmcore_pairs.tsv").open("w", encoding="utf-8") as out:
        for pair in outcome.pairs:
            out.write(f"{pair.customer_a}\t{pair.customer_b}\t{pair.suggested_action}\n")
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "stages": outcome.stages,
                "by_action": outcome.counts(),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


def _splink_env(env: Path) -> Path:
    python = env / "bin" / "python"
    if not python.exists():
        print(f"splink: creating {env} (pip install splink; not timed)")
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "splink>=5,<6"], check=True
        )
    return python


def _splink_input(folder: Path) -> Path:
    """The book's customers as Splink reads them (rows aligned with the labels: a row
    the command refused is not in the book)."""
    target = folder / "splink_input.jsonl"
    if target.exists():
        return target
    labelled = scan_book.labels(folder)
    current = next(labelled, None)
    with (folder / "rows.jsonl").open(encoding="utf-8") as rows, target.open(
        "w", encoding="utf-8"
    ) as out:
        for line in rows:
            if current is None:
                break
            row = json.loads(line)
            customer, entity, variation = current
            if (row["entity"], row["variation"]) != (entity, variation):
                continue
            fields = row["fields"]
            phone = "".join(ch for ch in fields.get("phone") or "" if ch.isdigit())
            phone = phone.removeprefix("0086").removeprefix("86") if len(phone) > 11 else phone
            record = {
                "unique_id": customer,
                "company": (fields.get("company_name") or "").strip().lower() or None,
                "contact": (fields.get("contact_name") or "").strip().lower() or None,
                "phone": phone or None,
                "email": (fields.get("email") or "").strip().lower() or None,
                "region": (fields.get("region") or "").strip() or None,
                "uscc": (fields.get("uscc") or "").replace(" ", "").upper() or None,
                "external_id": (fields.get("external_id") or "").strip() or None,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            current = next(labelled, None)
    return target


def quality(folder: Path, pairs: Iterable[tuple[str, str]]) -> dict[str, float | int | None]:
    entity: dict[str, int] = {}
    duplicates: set[str] = set()
    for customer, company, variation in scan_book.labels(folder):
        entity[customer] = company
        if variation in DUPLICATE_KINDS:
            duplicates.add(customer)
    flagged = right = 0
    linked: set[str] = set()
    for a, b in pairs:
        flagged += 1
        if entity.get(a) == entity.get(b):
            right += 1
            linked.update((a, b))
    found = len(duplicates & linked)
    return {
        "pairs": flagged,
        "precision": round(right / flagged, 4) if flagged else None,
        "recall": round(found / len(duplicates), 4) if duplicates else None,
        "duplicates": len(duplicates),
    }


def _pairs(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [tuple(line.rstrip("\n").split("\t")[:2]) for line in lines]  # type: ignore[misc]


def _run(command: list[str]) -> tuple[dict[str, Any], float]:
    """A child's last line of JSON, and its wall time with the process start."""
    began = time.perf_counter()
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - began
    return json.loads(child.stdout.strip().splitlines()[-1]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    parser.add_argument("--splink-env", type=Path, default=Path("/tmp/crmcore-splink-venv"))
    parser.add_argument("--no-splink", action="store_true", help="crmcore's scan only")
    parser.add_argument("--scan-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan_only is not None:
        scan_only(args.scan_only, args.engine)
        return
    folder = args.dir or Path(f"/tmp/crmcore-scan-{args.customers}")
    print(
        f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
        f" | customers {args.customers:,} | seed {args.seed} | engine {args.engine}"
    )
    _book(folder, args.customers, args.seed)

    ours, wall = _run(
        [sys.executable, __file__, "--scan-only", str(folder), "--engine", args.engine]
    )
    ours_quality = quality(folder, _pairs(folder / "crmcore_pairs.tsv"))
    print(f"crmcore ({args.engine}): {ours['seconds']:.1f} s scan, {wall:.1f} s with the "
          f"process start; peak RSS {ours['peak_rss_mib']:,} MiB (this process's; Spark's JVM, "
          f"a process of its own, is not counted); {ours['by_action']}")
    print(f"  stages {ours['stages']}")
    print(f"  quality {ours_quality}")
    if args.no_splink:
        return
    python = _splink_env(args.splink_env)
    source = _splink_input(folder)
    theirs, wall = _run(
        [str(python), str(HERE / "splink_baseline.py"), str(source),
         str(folder / "splink_pairs.tsv")]
    )
    theirs_quality = quality(folder, _pairs(folder / "splink_pairs.tsv"))
    print(f"splink 5 (duckdb): {theirs['seconds']:.1f} s in the model ({wall:.1f} s with the "
          f"process start); peak RSS {theirs['peak_rss_mib']:,} MiB; {theirs}")
    print(f"  quality {theirs_quality}")
    print(f"ratio: crmcore / splink wall = {ours['seconds'] / theirs['seconds']:.2f} "
          "(target at 100k <= 1.0)")


if __name__ == "__main__":
    main()
