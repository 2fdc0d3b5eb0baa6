"""Benchmark: does ``crm import customers`` slow down as the book grows?

Imports the same CSV of ``--rows`` new companies into a copy of each book given (books
made by ``scripts/bench_startup.py``, e.g. 10,000 and 1,000,000 customers; a missing
one is built), through the path ``crm import customers`` takes: full identity check
against the persisted identity view, ``--batch`` rows per save. Before the clock
starts, every view the import reads is caught up, so the figure is the sustained rate,
not a first catch-up. Each book's line also has the raw batched save of the same rows'
aggregates into the same copy (no check), the baseline of that run.

Target (issue 15): the rate at 1,000,000 customers >= 80% of the rate at 10,000.

    python scripts/bench_import_scale.py --books /tmp/book-10k:10000 /tmp/book-1m:1000000
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.files.customers_csv import CUSTOMER_COLUMNS, open_customer_file, write_rows
from adapters.import_stage import staging_workers
from adapters.importing import import_rows
from adapters.settings import Settings
from crmcore import ManualClock, RegisterCustomer, parse_command
from crmcore.customers.registration import new_customer
from crmcore.domain import Customer, EventContext, IdentityKeyIndex

sys.path.insert(0, str(Path(__file__).parent))
from bench_figures import figure
from bench_startup import build_book  # a sibling script, not a package

_NOW = datetime(2026, 6, 1, tzinfo=UTC)
_BOOK_SEED = 20261123  # bench_startup's: the books hold these companies


def copy_of(book: Path, run: Path) -> None:
    for stale in run.parent.glob(run.name + "*"):
        stale.unlink()
    with sqlite3.connect(book) as source, sqlite3.connect(run) as target:
        source.backup(target)


def raw_batched_rate(db: Path, rows: list[dict[str, str]], batch: int) -> float:
    """Rows/s saving each row's customer and key indexes, ``batch`` rows a save (rows
    whose phone or e-mail the book already holds are left out: their claim would fail)."""
    app = open_application(Settings(db=db), clock=ManualClock(_NOW))
    context = EventContext(actor="bench", recorded_at=_NOW, occurred_at=_NOW)
    commands = [parse_command(RegisterCustomer, {"actor": "bench", **row}) for row in rows]
    held = app.find_indexes([k for c in commands for k in c.identity_keys()])
    taken = {key for key, index in held.items() if index is not None}
    aggregates: list[list[Customer | IdentityKeyIndex]] = []
    for command in commands:
        if taken.intersection(command.identity_keys()):
            continue
        taken.update(command.identity_keys())
        customer = new_customer(app.new_id(), command, command.identity_keys(), context)
        aggregates.append([customer, *(IdentityKeyIndex.first_claim(k, customer.id, context)
                                       for k in command.identity_keys())])
    began = time.perf_counter()
    for start in range(0, len(aggregates), batch):
        app.save(*(a for row in aggregates[start:start + batch] for a in row))
    seconds = time.perf_counter() - began
    app.close()
    return len(aggregates) / seconds


def import_rate(db: Path, csv_path: Path, batch: int) -> tuple[float, Counter[str]]:
    app = open_application(Settings(db=db), clock=ManualClock(_NOW))
    began = time.perf_counter()
    app.identity.catch_up()
    app.sales_view()
    print(f"    views caught up before the clock starts: {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    source = open_customer_file(csv_path)
    workers = staging_workers(source.row_count, None)  # as `crm import customers` chooses
    imported = list(import_rows(app, source.rows(), actor="bench", phone_region="CN",
                                batch_size=batch, workers=workers))
    seconds = time.perf_counter() - began
    app.close()
    return len(imported) / seconds, Counter(row.outcome for row in imported)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", nargs="+", required=True,
                        help="DIR:CUSTOMERS of each book (built there if missing)")
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=Settings().registration.batch_size)
    parser.add_argument("--seed", type=int, default=77, help="the imported companies' seed")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-import-scale"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | {args.rows:,} rows a run, {args.batch} per save")
    generated = generate(args.rows, args.seed, duplicate_share=0, negative_share=0).rows
    # The generator numbers external ids from 0 in every book: give these their own.
    rows = [{**r.fields, "external_id": f"IMPORT-{n:06d}"}
            for n, r in enumerate(r for r in generated if r.variation == "original")]
    csv_path = args.work / "import.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_rows(handle, CUSTOMER_COLUMNS, rows)
    rates: dict[int, float] = {}
    for spec in args.books:
        folder, customers = Path(spec.split(":")[0]), int(spec.split(":")[1])
        marker = folder / "book.json"
        if not marker.exists() or json.loads(marker.read_text())["customers"] != customers:
            folder.mkdir(parents=True, exist_ok=True)
            saved = build_book(folder / "crm.db", customers, _BOOK_SEED)
            marker.write_text(json.dumps({"customers": customers, "saved": saved}))
        print(f"book of {customers:,} customers ({folder}):")
        run = args.work / "run.db"
        copy_of(folder / "crm.db", run)
        rate, outcomes = import_rate(run, csv_path, args.batch)
        copy_of(folder / "crm.db", run)
        raw = raw_batched_rate(run, rows, args.batch)
        rates[customers] = rate
        print(f"    import: {rate:,.0f} rows/s {dict(outcomes)}; raw batched save "
              f"{raw:,.0f} rows/s; import / raw {rate / raw:.0%} (target >= 50%)")
        figure(f"crm import customers into a {customers:,}-customer book", rate, "rows/s",
               raw=raw, target=">= 60% of raw; rate at 1M >= 80% of the rate at 10k",
               detail=f"{args.rows:,} rows, {args.batch} a save")
    if len(rates) > 1:
        smallest, largest = min(rates), max(rates)
        print(f"rate at {largest:,} / rate at {smallest:,}: "
              f"{rates[largest] / rates[smallest]:.0%} (target >= 80%)")
    for stale in args.work.glob("run.db*"):
        stale.unlink()


if __name__ == "__main__":
    main()
