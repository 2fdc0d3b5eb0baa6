"""Benchmark: owner_at and dispute settlement on a large book, against a raw read.

Uses the book ``bench_sweep.py`` builds (``--customers`` companies, each owned by one of
100 reps, saved through the aggregates; built once and kept in ``--dir``). On a copy,
``--worked`` customers get a longer history through real commands (a follow-up, a
transfer, a back-dated follow-up), then ``--samples`` audit questions are timed, each
for a random customer (a quarter of them worked ones) at a random business time and,
for half, as known at a random earlier moment:

* ``owner_at`` - the customer's and its ownership's histories replayed;
* ``settle_dispute`` between two reps - the same plus the rule set in force;
* the raw baseline of the same run: eventsourcing reading the same customer's
  ownership aggregate (``repository.get``), the least any answer must do.

Its cost should follow the customer's history, not the book: run it at 100k and 1M.

    python scripts/bench_audit.py --customers 100000 --dir /tmp/sweep-100k
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.bootstrap import open_application
from adapters.settings import Settings
from bench_sweep import LATER, START, build_book
from crmcore import ManualClock, RecordFollowUp, TransferCustomer, parse_command
from crmcore.audit.queries import OwnerAtQuery, SettleDispute
from crmcore.domain.ownership import ownership_id


def _customers(db: Path, count: int, seed: int) -> list[UUID]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT originator_id FROM stored_events WHERE originator_version = 1 AND "
            "topic = 'crmcore.domain.customer:Customer.Registered' LIMIT ?", (count * 20,)
        ).fetchall()
    ids = [UUID(bytes=r[0]) if isinstance(r[0], bytes) else UUID(r[0]) for r in rows]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def _timed(run: Callable[[], Any]) -> float:
    began = time.perf_counter()
    run()
    return (time.perf_counter() - began) * 1000


def _summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (f"{name}: p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, "
            f"mean {statistics.fmean(ms):.2f} ms over {len(ms):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, required=True, help="where the book is kept")
    parser.add_argument("--due", type=int, default=1_000, help="as the book was built with")
    parser.add_argument("--worked", type=int, default=300)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    book, marker = args.dir / "book.db", args.dir / "book.json"
    wanted = {"customers": args.customers, "due": args.due, "reps": 100}
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        for stale in args.dir.glob("*.db*"):
            stale.unlink()
        build_book(Settings(db=book), args.customers, args.due, 100, 5)
        marker.write_text(json.dumps(wanted))
    run = args.dir / "audit.db"
    for stale in args.dir.glob("audit.db*"):
        stale.unlink()
    with sqlite3.connect(book) as source, sqlite3.connect(run) as target:
        source.backup(target)
    print(f"{platform.node()} {platform.machine()}, Python {platform.python_version()}, "
          f"SQLite WAL; {args.customers:,} customers")
    rng = random.Random(args.seed)
    clock = ManualClock(LATER + timedelta(days=1))
    app = open_application(Settings(db=run), clock)
    sample = _customers(run, args.samples, args.seed)
    worked = sample[: args.worked]
    began = time.perf_counter()
    for cid in worked:  # a follow-up, a transfer, a follow-up entered two days late
        owner = app.owner_of(cid)
        assert owner is not None
        follow_up = {"customer_id": cid, "channel": "phone", "content": "需求沟通",
                     "outcome": "约了演示", "next_contact_at": clock.now() + timedelta(days=3)}
        app.record_follow_up(parse_command(RecordFollowUp, {"actor": owner, "rep": owner,
                                                            **follow_up}))
        clock.advance(hours=1)
        n = int(owner[4:])  # bench_sweep's teams: ten reps each, led by rep-N0
        boss, to = f"rep-{n // 10 * 10:03d}", f"rep-{n // 10 * 10 + (n + 1) % 10:03d}"
        app.transfer_customer(parse_command(TransferCustomer, {
            "actor": boss, "customer_id": cid, "to": to, "by": boss}))
        clock.advance(hours=1)
        app.record_follow_up(parse_command(RecordFollowUp, {
            "actor": to, "rep": to, **follow_up, "occurred_at": clock.now()}))
        clock.advance(minutes=5)
    print(f"{len(worked)} customers worked (3 commands each) in "
          f"{time.perf_counter() - began:.1f} s")
    span = (clock.now() - START).total_seconds()
    owner_ms, dispute_ms, raw_ms = [], [], []
    for n, cid in enumerate(sample):
        at = START + timedelta(seconds=rng.uniform(0, span))
        # Known at a moment after the book was built (every customer known by then).
        floor = max(at, LATER)
        known = floor + timedelta(seconds=rng.uniform(0, (clock.now() - floor).total_seconds()))
        query = {"at": at, "as_known_at": known if n % 2 else None}
        raw_ms.append(_timed(lambda cid=cid: app.repository.get(ownership_id(cid))))
        owner_ms.append(_timed(lambda cid=cid, q=query: app.owner_at(
            OwnerAtQuery(customer_id=cid, **q))))
        dispute_ms.append(_timed(lambda cid=cid, q=query: app.settle_dispute(SettleDispute(
            customer_id=cid, claimants=("rep-001", "rep-002"), **q))))
    print(_summary("raw ownership read (repository.get)", raw_ms))
    print(_summary("owner_at", owner_ms))
    print(_summary("settle_dispute", dispute_ms))
    print(f"owner_at p50 / raw p50: {statistics.median(owner_ms) / statistics.median(raw_ms):.1f}x")
    app.close()


if __name__ == "__main__":
    main()
