"""Benchmark: a day of the public pool (公海) on SQLite, and the sweeper over the book.

Registers ``--customers`` distinct companies (90% entered by one of ``--reps`` reps, who
then own them; 10% by an import job, unassigned), then runs a simulated day through
the real command path: assignments by the rules, valid follow-ups, releases and claims
(every rep up to the daily quota), and two sweeps - three days later (response SLAs
missed: reassigned by the rules; claims never contacted: recycled) and forty days
later (followed-up protection expired: recycled; the reassigned missed their SLA
again). Prints each command's rate next to the raw rate of
saving one small aggregate per transaction in the same run (the fsync floor a command
pays), and each sweep's time.

    python scripts/bench_pool.py --customers 100000
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.settings import Settings
from bench_figures import figure
from crmcore import (
    AddRep,
    AssignCustomer,
    ClaimCustomer,
    CrmApplication,
    CrmError,
    ManualClock,
    RecordFollowUp,
    RegisterCustomer,
    ReleaseCustomer,
    parse_command,
)
from crmcore.domain import Collision, EventContext

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def timed(label: str, count: int, run: Callable[[], Any], baseline: float | None = None,
          key: str | None = None) -> Any:
    """Runs and prints one step; ``key``: the summary table's row it also reports."""
    began = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - began
    rate = count / seconds if seconds else float("inf")
    ratio = f"  ({rate / baseline:.0%} of raw)" if baseline else ""
    print(f"{label:<44} {count:>8} in {seconds:8.2f} s = {rate:>9,.0f}/s{ratio}", flush=True)
    if key:
        figure(key, rate, "/s", raw=baseline)
    return result


def raw_save_rate(app: CrmApplication, count: int) -> float:
    """One small new aggregate per transaction: the floor any single command pays."""
    context = EventContext("bench", START, START)

    def save_all() -> None:
        for n in range(count):
            app.save(Collision.record(
                UUID(int=n + 1), customer_id=UUID(int=n + 1), rep="raw", attempted="raw",
                rule="raw", other_party=None, lost_race=False, refused=False, detail={},
                context=context))

    began = time.perf_counter()
    save_all()
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--commands", type=int, default=2_000, help="per command type")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"SQLite WAL; {args.customers:,} customers, {args.reps} reps")
    rng = random.Random(args.seed)
    clock = ManualClock(START)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=Path(folder) / "pool.db")
        app = open_application(settings, clock)
        raw = raw_save_rate(app, 2_000)
        print(f"{'raw save, one aggregate per transaction':<44} {2_000:>8} = {raw:>9,.0f}/s")
        reps = [f"rep-{n:03d}" for n in range(args.reps)]
        regions = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京"]
        for n, rep in enumerate(reps):
            app.add_rep(parse_command(AddRep, {
                "actor": "bench", "rep_id": rep, "team": f"team-{n // 10}",
                "supervisor": n % 10 == 0, "regions": regions[n % len(regions)],
                "capacity": 10 * args.customers // args.reps, "tier": 1 + n % 4}))
        rows = [r.fields for r in generate(args.customers, args.seed, duplicate_share=0,
                                           negative_share=0).rows if r.variation == "original"]
        commands = [
            parse_command(RegisterCustomer, {**row, "actor": rng.choice(reps)
                                             if n % 10 else "importer"})
            for n, row in enumerate(rows)
        ]

        def register_all() -> list[UUID]:
            ids: list[UUID] = []
            for start in range(0, len(commands), 100):
                results = app.register_customers(commands[start:start + 100])
                ids.extend(r.customer_id for r in results if r.refusal is None)
            return ids

        ids = timed("register (batches of 100; reps own theirs)", len(commands), register_all)
        unassigned = [cid for cid, cmd in zip(ids, commands, strict=False)
                      if cmd.actor == "importer"]
        owned = [(cid, cmd.actor) for cid, cmd in zip(ids, commands, strict=False)
                 if cmd.actor != "importer"]
        n = min(args.commands, len(unassigned))
        # The first ownership command of a process catches up what it asks (the views,
        # or the in-memory fold): timed apart, it is not the commands' steady cost.
        timed("catch the sales queries up (once)", len(ids), app.sales_view)

        def each(items: list[Any], act: Callable[[Any], Any]) -> int:
            refused = 0
            for item in items:
                try:
                    act(item)
                except CrmError:
                    refused += 1
            return refused

        def assign(cid: UUID) -> None:
            app.assign_customer(parse_command(AssignCustomer, {"actor": "dispatch",
                                                               "customer_id": cid}))

        timed("assign by the rules", n, lambda: each(unassigned[:n], assign), raw)
        clock.advance(hours=2)
        worked = rng.sample(owned, min(args.commands, len(owned)))

        def follow(item: tuple[UUID, str]) -> None:
            app.record_follow_up(parse_command(RecordFollowUp, {
                "actor": item[1], "customer_id": item[0], "rep": item[1], "channel": "phone",
                "content": "电话沟通了采购需求和预算", "outcome": "需要报价",
                "next_contact_at": clock.now() + timedelta(days=3)}))

        timed("valid follow-up", len(worked), lambda: each(worked, follow), raw,
              key="crm follow-up")
        let_go = [item for item in owned if item not in set(worked)][: args.commands]

        def release(item: tuple[UUID, str]) -> None:
            app.release_customer(parse_command(ReleaseCustomer, {
                "actor": item[1], "customer_id": item[0], "rep": item[1],
                "reason": "客户暂无需求"}))

        timed("release to the pool", len(let_go), lambda: each(let_go, release), raw)
        claims = [(cid, rng.choice(reps)) for cid, _ in let_go]

        def claim(item: tuple[UUID, str]) -> None:
            app.claim_customer(parse_command(ClaimCustomer, {
                "actor": item[1], "customer_id": item[0], "rep": item[1]}))

        refused = timed("claim (quota 3/rep/day: many refused)", len(claims),
                        lambda: each(claims, claim), raw, key="crm claim")
        print(f"{'':<44} {refused:>8} refused, each recorded as a collision")
        for days in (3, 40):
            clock.set(START + timedelta(days=days))
            began = time.perf_counter()
            report = app.sweep()
            seconds = time.perf_counter() - began
            print(f"sweep at day {days}: {len(ids):,} customers, {report.due:,} due, "
                  f"{seconds:.2f} s: {report.counts()}", flush=True)
        fresh = open_application(settings, clock)
        began = time.perf_counter()
        fresh.sales_view()
        print(f"a fresh process catches the sales views up in {time.perf_counter() - began:.2f} s; "
              "a third sweep then finds "
              f"{fresh.sweep().due} due", flush=True)
        fresh.close()
        app.close()


if __name__ == "__main__":
    main()
