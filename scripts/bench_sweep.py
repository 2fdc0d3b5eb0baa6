"""Benchmark: a sweep over a large book of which only some customers are due.

Builds (once, kept in ``--dir``; each run sweeps a copy) a book of ``--customers``
companies, each owned by one of ``--reps`` reps: ``--due`` of them assigned at the
start, the rest thirty days later, so at the sweep instant only the first group has
missed its response deadline. The book is saved through the aggregates (customer, key
indexes, ownership, rep) in batches, as the command path would save them, without
running a command per customer.

Then, in this process and through the application the CLI uses, it times the first
catch-up of the sales views (once per database) and the sweep itself. The sweep's cost
should depend on the number due, not on the book: run it at two sizes and compare. The
raw baseline of the same run is one small aggregate saved per transaction.

    python scripts/bench_sweep.py --customers 100000 --due 1000 --dir /tmp/sweep-100k
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.settings import Settings
from bench_figures import figure
from crmcore import CrmApplication, ManualClock, RegisterCustomer, parse_command
from crmcore.customers.registration import new_customer
from crmcore.domain import Customer, EventContext, IdentityKeyIndex, Ownership, Rep, RepProfile
from crmcore.ownership.owners import give

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
LATER = START + timedelta(days=30)
_BATCH = 500


def build_book(settings: Settings, customers: int, due: int, reps: int, seed: int) -> int:
    """Saves the book; returns how many customers it holds."""
    app = CrmApplication(settings.eventsourcing_env(), clock=ManualClock(LATER),
                         config=settings.rules())
    hiring = EventContext(actor="bench", recorded_at=START, occurred_at=START)
    team = [Rep.join(f"rep-{n:03d}", RepProfile(team=f"t{n // 10}", supervisor=n % 10 == 0,
                                                 capacity=10 * customers), hiring)
            for n in range(reps)]
    app.save(*team)
    rows = [r.fields for r in generate(customers, seed, duplicate_share=0,
                                       negative_share=0).rows if r.variation == "original"]
    sla = app.config.ownership.response_sla_hours
    # The generator may give two companies one phone at this size: keep the first.
    claimed: set[str] = set()
    commands = []
    for row in rows:
        command = parse_command(RegisterCustomer, {"actor": "bench", **row})
        keys = {key.label for key in command.identity_keys()}
        if not keys & claimed:
            claimed |= keys
            commands.append(command)
    began = time.perf_counter()
    for start in range(0, len(commands), _BATCH):
        batch: list[Customer | IdentityKeyIndex | Ownership | Rep] = []
        for n, command in enumerate(commands[start:start + _BATCH], start):
            moment = START if n < due else LATER
            context = EventContext(actor="bench", recorded_at=moment, occurred_at=moment)
            customer = new_customer(app.new_id(), command, command.identity_keys(), context)
            batch.append(customer)
            batch += [IdentityKeyIndex.first_claim(k, customer.id, context)
                      for k in command.identity_keys()]
            ownership, _ = give(app, None, customer.id, team[n % reps], Ownership.Assigned,
                                context, respond_hours=sla, how="assigned", rule="bench")
            batch.append(ownership)
        app.save(*batch, *team)
        if start % 20_000 == 0:
            print(f"  built {start + _BATCH:,} customers, {time.perf_counter() - began:.0f} s",
                  flush=True)
    app.close()
    print(f"built the book: {len(commands):,} customers in {time.perf_counter() - began:.0f} s")
    return len(commands)


def raw_save_rate(app: CrmApplication, count: int) -> float:
    context = EventContext("bench", LATER, LATER)
    began = time.perf_counter()
    for n in range(count):
        app.save(Rep.join(f"raw-{time.time_ns()}-{n}", RepProfile(), context))
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, required=True, help="where the book is kept")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    book = args.dir / "book.db"
    marker = args.dir / "book.json"
    wanted = {"customers": args.customers, "due": args.due, "reps": args.reps}
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        for stale in args.dir.glob("*.db*"):
            stale.unlink()
        build_book(Settings(db=book), args.customers, args.due, args.reps, args.seed)
        marker.write_text(json.dumps(wanted))
    # A sweep changes the book: each run sweeps a fresh copy of it.
    run = args.dir / "run.db"
    for stale in args.dir.glob("run.db*"):
        stale.unlink()
    with sqlite3.connect(book) as source, sqlite3.connect(run) as target:
        source.backup(target)
    settings = Settings(db=run)
    print(f"{platform.node()} {platform.machine()}, Python {platform.python_version()}, "
          f"SQLite WAL; {args.customers:,} customers, {args.due:,} due, {args.reps} reps")
    clock = ManualClock(LATER + timedelta(hours=1))
    app = open_application(settings, clock)
    raw = raw_save_rate(app, 500)
    print(f"raw save, one aggregate per transaction: {raw:,.0f}/s")
    began = time.perf_counter()
    app.sales_view()
    print(f"sales views caught up: {time.perf_counter() - began:.2f} s (a new book's first "
          "run applies every ownership and rep event; later runs only what is new)")
    sla = app.config.ownership.response_sla_hours
    at = START + timedelta(hours=sla + 1)  # the early group missed its deadline; not the rest
    began = time.perf_counter()
    report = app.sweep(at)
    seconds = time.perf_counter() - began
    print(f"sweep at {at.isoformat()}: {report.due:,} due of {args.customers:,} in "
          f"{seconds:.2f} s = {report.due / seconds:,.0f} due/s: {report.counts()}")
    figure(f"crm sweep, {args.due:,} due", seconds, "s",
           detail=f"book of {args.customers:,} customers")
    began = time.perf_counter()
    again = app.sweep(at)
    print(f"the same sweep again: {again.due:,} due in {time.perf_counter() - began:.2f} s")
    app.close()


if __name__ == "__main__":
    main()
