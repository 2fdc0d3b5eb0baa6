"""Benchmark: registering customers through the command path vs saving the same raw.

Prints, for one-command transactions and for batched registration, the command
path's rate and latency next to the rate of saving the same aggregates straight into
the event store in the same run (a ratio survives a noisy machine; a rate does not).

    python scripts/bench_register.py --customers 100000
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from adapters.settings import Settings
from crmcore import CrmApplication, ManualClock, RegisterCustomer, parse_command
from crmcore.domain import Customer, EventContext, IdentityKeyIndex

START = datetime(2026, 1, 1, tzinfo=UTC)


def commands(count: int, offset: int) -> list[RegisterCustomer]:
    """``count`` distinct customers, each with a mobile and an e-mail (3 aggregates)."""
    return [
        parse_command(RegisterCustomer, {
            "actor": "bench",
            "company_name": f"基准测试科技{offset + i}有限公司",
            "contact_name": "张三",
            "phone": f"+86 139 {(offset + i) // 10_000:04d} {(offset + i) % 10_000:04d}",
            "email": f"buyer{offset + i}@bench.example.cn",
            "region": "北京",
        })
        for i in range(count)
    ]


def raw_aggregates(command: RegisterCustomer) -> list[Customer | IdentityKeyIndex]:
    """The aggregates the command path would save, built without any check."""
    context = EventContext(actor=command.actor, recorded_at=START, occurred_at=START)
    customer = Customer.register(
        uuid4(), company_name=command.company_name, contact_name=command.contact_name,
        keys=command.identity_keys(), region=command.region, industry=None, source=None,
        external_id=None, context=context)
    indexes = [IdentityKeyIndex.first_claim(key, customer.id, context)
               for key in command.identity_keys()]
    return [customer, *indexes]


def open_app(folder: Path, name: str) -> CrmApplication:
    """An application on a fresh SQLite file, configured as the crm CLI configures it."""
    settings = Settings(db=folder / f"{name}.db")
    return CrmApplication(settings.eventsourcing_env(), clock=ManualClock(START),
                          config=settings.rules())


def timed(steps: Sequence[Callable[[], object]]) -> tuple[float, list[float]]:
    latencies = []
    began = time.perf_counter()
    for step in steps:
        t0 = time.perf_counter()
        step()
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - began, latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def run(customers: int, batch: int, folder: Path) -> None:
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | customers: {customers:,} | batch: {batch}")
    cmds = commands(customers, 0)

    raw_app = open_app(folder, "raw-single")
    prepared = [raw_aggregates(c) for c in cmds]
    raw_s, _ = timed([lambda a=aggs: raw_app.save(*a) for aggs in prepared])
    cmd_app = open_app(folder, "command-single")
    cmd_s, lat = timed([lambda c=c: cmd_app.register_customer(c) for c in cmds])
    raw_rate, cmd_rate = customers / raw_s, customers / cmd_s
    print(f"one command per transaction: command path {cmd_rate:,.0f}/s "
          f"(p50 {percentile(lat, 50) * 1e3:.2f} ms, p99 {percentile(lat, 99) * 1e3:.2f} ms); "
          f"raw save {raw_rate:,.0f}/s; ratio {cmd_rate / raw_rate:.0%}")

    raw_batch_app = open_app(folder, "raw-batch")
    prepared = [raw_aggregates(c) for c in cmds]
    chunks = [prepared[i:i + batch] for i in range(0, customers, batch)]
    raw_b_s, _ = timed([lambda ch=ch: raw_batch_app.save(*(a for aggs in ch for a in aggs))
                        for ch in chunks])
    batch_app = open_app(folder, "command-batch")
    cmd_chunks = [cmds[i:i + batch] for i in range(0, customers, batch)]
    cmd_b_s, lat_b = timed([lambda ch=ch: batch_app.register_customers(ch) for ch in cmd_chunks])
    raw_b_rate, cmd_b_rate = customers / raw_b_s, customers / cmd_b_s
    print(f"batched ({batch} per save): command path {cmd_b_rate:,.0f}/s "
          f"(per batch p50 {percentile(lat_b, 50) * 1e3:.1f} ms, "
          f"p99 {percentile(lat_b, 99) * 1e3:.1f} ms); "
          f"raw save {raw_b_rate:,.0f}/s; ratio {cmd_b_rate / raw_b_rate:.0%}")
    for app in (raw_app, cmd_app, raw_batch_app, batch_app):
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder for the databases (default: a temporary one)")
    args = parser.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args.customers, args.batch, args.dir)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(args.customers, args.batch, Path(folder))


if __name__ == "__main__":
    main()
