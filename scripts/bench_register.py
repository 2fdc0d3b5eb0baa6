"""Benchmark: registering customers through the command path vs saving the same raw.

Prints, for one-command transactions, for batched registration and for
``crm import customers`` (a CSV file through the import path, full identity check),
the rate next to the rate of saving the same aggregates straight into the event store
in the same run (a ratio survives a noisy machine; a rate does not).

The customers are the demo generator's originals: realistic, distinct companies, so
the identity check does its real work (blocking, comparing near neighbours) and every
row is still created, as in the raw save it is measured against.

    python scripts/bench_register.py --customers 100000

With ``--pii`` it measures what encrypting personal data at rest costs on SQLite: the
command path with and without a master key, alternated in the same run.

With ``--db postgresql://user@host:port/database`` it measures PostgreSQL instead:
``--processes`` writer processes (4 by default) register their share of the customers
at once, one command per transaction and then ``--batch`` per transaction, each against
the same processes saving the same aggregates raw the same way; all into databases it
creates on that server (and drops after).
``--postgres`` starts a throw-away local server for the run (Debian's binaries).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import platform
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.files.customers_csv import CUSTOMER_COLUMNS, open_customer_file, write_rows
from adapters.import_stage import staging_workers
from adapters.importing import import_rows
from adapters.settings import Settings
from bench_figures import figure
from crmcore import CrmApplication, ManualClock, RegisterCustomer, parse_command
from crmcore.domain import Customer, EventContext, IdentityKeyIndex

START = datetime(2026, 1, 1, tzinfo=UTC)


def book(count: int, seed: int) -> list[dict[str, str]]:
    """``count`` distinct companies as CSV rows (mobile, e-mail, often a USCC, WeChat)."""
    return [
        r.fields
        for r in generate(count, seed, duplicate_share=0, negative_share=0).rows
        if r.variation == "original"
    ]


def commands(rows: list[dict[str, str]]) -> list[RegisterCustomer]:
    return [parse_command(RegisterCustomer, {"actor": "bench", **row}) for row in rows]


def raw_aggregates(command: RegisterCustomer) -> list[Customer | IdentityKeyIndex]:
    """The aggregates the command path would save, built without any check."""
    context = EventContext(actor=command.actor, recorded_at=START, occurred_at=START)
    customer = Customer.register(
        uuid4(),
        company_name=command.company_name,
        contact_name=command.contact_name,
        keys=command.identity_keys(),
        region=command.region,
        industry=command.industry,
        source=command.source,
        external_id=command.external_id,
        context=context,
    )
    indexes = [
        IdentityKeyIndex.first_claim(key, customer.id, context) for key in command.identity_keys()
    ]
    return [customer, *indexes]


MASTER_KEY = base64.b64encode(bytes(range(32))).decode()  # a benchmark's, never a real one


def open_app(folder: Path, name: str, *, pii: bool = False) -> CrmApplication:
    """An application on a fresh SQLite file, wired as the crm CLI wires it (its identity
    check asks the persisted identity view in the same file); ``pii``: with personal
    data encrypted at rest."""
    settings = Settings.model_validate(
        {"db": str(folder / f"{name}.db"), "pii": {"master_key": MASTER_KEY} if pii else {}}
    )
    return open_application(settings, clock=ManualClock(START))


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


def run_pii(customers: int, batch: int, folder: Path, seed: int) -> None:
    """The command paths with and without encryption at rest, alternated in one run."""
    print(
        f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
        f" | customers: {customers:,} | batch: {batch} | encryption at rest on vs off"
    )
    cmds = commands(book(customers, seed))
    for label, per_save in (("one command per transaction", 1), (f"{batch} per save", batch)):
        rates = {}
        for pii in (False, True, False, True):  # alternated: a drifting machine shows
            app = open_app(folder, f"{label[:3]}-{per_save}-{pii}-{len(rates)}", pii=pii)
            chunks = [cmds[i : i + per_save] for i in range(0, len(cmds), per_save)]
            steps = [partial(app.register_customers, ch) for ch in chunks]
            seconds, _ = timed(steps)
            app.close()
            rates.setdefault(pii, []).append(len(cmds) / seconds)
        plain, sealed = max(rates[False]), max(rates[True])
        print(
            f"{label}: plain {plain:,.0f}/s, encrypted {sealed:,.0f}/s (best of 2 each); "
            f"encryption costs {1 - sealed / plain:.0%} (target <= 15%)"
        )


def raw_batched_rate(folder: Path, name: str, cmds: list[RegisterCustomer], batch: int) -> float:
    """Commands' aggregates (built beforehand) saved raw, ``batch`` commands a save:
    what a batched path is measured against."""
    app = open_app(folder, name)
    prepared = [raw_aggregates(c) for c in cmds]
    chunks = [prepared[i : i + batch] for i in range(0, len(prepared), batch)]
    seconds, _ = timed([lambda ch=ch: app.save(*(a for aggs in ch for a in aggs)) for ch in chunks])
    app.close()
    return len(cmds) / seconds


def run(customers: int, batch: int, folder: Path, seed: int) -> None:
    print(
        f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
        f" | customers: {customers:,} | batch: {batch}"
    )
    rows = book(customers, seed)
    cmds = commands(rows)
    customers = len(cmds)

    raw_app = open_app(folder, "raw-single")
    prepared = [raw_aggregates(c) for c in cmds]
    raw_s, _ = timed([lambda a=aggs: raw_app.save(*a) for aggs in prepared])
    cmd_app = open_app(folder, "command-single")
    cmd_s, lat = timed([lambda c=c: cmd_app.register_customer(c) for c in cmds])
    raw_rate, cmd_rate = customers / raw_s, customers / cmd_s
    print(
        f"one command per transaction: command path {cmd_rate:,.0f}/s "
        f"(p50 {percentile(lat, 50) * 1e3:.2f} ms, p99 {percentile(lat, 99) * 1e3:.2f} ms); "
        f"raw save {raw_rate:,.0f}/s; ratio {cmd_rate / raw_rate:.0%}"
    )
    figure("register, one command a transaction", cmd_rate, "/s", raw=raw_rate,
           target=">= 40% of raw at 10k, >= 30% at 1M",
           detail=f"p50 {percentile(lat, 50) * 1e3:.2f} ms, p99 {percentile(lat, 99) * 1e3:.2f} ms")

    raw_b_rate = raw_batched_rate(folder, "raw-batch", cmds, batch)
    batch_app = open_app(folder, "command-batch")
    cmd_chunks = [cmds[i : i + batch] for i in range(0, customers, batch)]
    cmd_b_s, lat_b = timed([lambda ch=ch: batch_app.register_customers(ch) for ch in cmd_chunks])
    cmd_b_rate = customers / cmd_b_s
    print(
        f"batched ({batch} per save): command path {cmd_b_rate:,.0f}/s "
        f"(per batch p50 {percentile(lat_b, 50) * 1e3:.1f} ms, "
        f"p99 {percentile(lat_b, 99) * 1e3:.1f} ms); "
        f"raw save {raw_b_rate:,.0f}/s; ratio {cmd_b_rate / raw_b_rate:.0%}"
    )
    figure(f"register, {batch} a save", cmd_b_rate, "/s", raw=raw_b_rate,
           target=">= 50% of raw")
    csv_path = folder / "book.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_rows(handle, CUSTOMER_COLUMNS, rows)
    # The import as `crm import customers` runs it: the settings' batch, staging workers
    # as the machine and the file's size call for; its raw baseline at that batch.
    import_batch = Settings().registration.batch_size
    workers = staging_workers(len(rows), None)
    raw_import_rate = (
        raw_b_rate
        if import_batch == batch
        else raw_batched_rate(folder, "raw-import-batch", cmds, import_batch)
    )
    import_app = open_app(folder, "import")
    began = time.perf_counter()
    imported = list(
        import_rows(
            import_app,
            open_customer_file(csv_path).rows(),
            actor="bench",
            phone_region="CN",
            batch_size=import_batch,
            workers=workers,
        )
    )
    import_s = time.perf_counter() - began
    outcomes = Counter(row.outcome for row in imported)
    import_rate = len(imported) / import_s
    print(
        f"import of a {len(imported):,}-row CSV (full identity check, {import_batch} per save, "
        f"{workers} staging workers): {import_rate:,.0f} rows/s {dict(outcomes)}; raw batched "
        f"save ({import_batch} per save) {raw_import_rate:,.0f}/s; "
        f"ratio {import_rate / raw_import_rate:.0%} (target >= 60%)"
    )
    figure("crm import customers", import_rate, "rows/s", raw=raw_import_rate,
           target=">= 60% of the raw batched save",
           detail=f"{import_batch} a save, {workers} staging workers; {dict(outcomes)}")
    for app in (raw_app, cmd_app, batch_app, import_app):
        app.close()


def _writer(
    url: str, mode: str, batch: int, rows: list[dict[str, str]], barrier: Any, out: Any
) -> None:
    """One writer process: opens its application, waits for the others, writes - one
    command (or one customer's aggregates) per transaction, or ``batch`` of them."""
    settings = Settings(db=url)
    cmds = commands(rows)
    steps: list[Callable[[], object]]
    if mode == "command":
        app = open_application(settings, clock=ManualClock(START))
        if batch == 1:
            steps = [lambda c=c: app.register_customer(c) for c in cmds]
        else:
            chunks = [cmds[i : i + batch] for i in range(0, len(cmds), batch)]
            steps = [lambda ch=ch: app.register_customers(ch) for ch in chunks]
    else:
        app = CrmApplication(settings.eventsourcing_env())
        prepared = [raw_aggregates(c) for c in cmds]
        groups = [prepared[i : i + batch] for i in range(0, len(prepared), batch)]
        steps = [lambda g=g: app.save(*(a for aggs in g for a in aggs)) for g in groups]
    barrier.wait(timeout=300)
    began = time.perf_counter()
    _, latencies = timed(steps)
    out.put((began, time.perf_counter(), latencies))
    app.close()


def _concurrently(
    url: str, mode: str, batch: int, rows: list[dict[str, str]], processes: int
) -> tuple[float, list[float]]:
    """(registrations/s over the wall time of all writers, every latency)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    shares = [rows[n::processes] for n in range(processes)]
    workers = [
        ctx.Process(target=_writer, args=(url, mode, batch, share, barrier, out))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    wall = max(end for _, end, _ in results) - min(start for start, _, _ in results)
    return len(rows) / wall, [lat for _, _, lats in results for lat in lats]


def run_postgres(server_url: str, customers: int, processes: int, batch: int, seed: int) -> None:
    import psycopg

    from adapters.postgres_url import postgres_url

    server = postgres_url(server_url)
    runs = [(mode, size) for size in dict.fromkeys((1, batch)) for mode in ("raw", "command")]
    names = {run: f"bench_{run[0]}_{run[1]}_{uuid4().hex[:8]}" for run in runs}
    admin = f"host={server.host} port={server.port} user={server.user} dbname={server.database}"
    if server.password:
        admin += f" password={server.password}"
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f"CREATE DATABASE {name}")
    base = server_url.rsplit("/", 1)[0]
    print(
        f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
        f" | PostgreSQL {server.host}:{server.port} | customers: {customers:,} | "
        f"{processes} writer processes"
    )
    rows = book(customers, seed)
    try:
        for name in names.values():  # tables created before the clock starts
            CrmApplication(Settings(db=f"{base}/{name}").eventsourcing_env()).close()
        for size in dict.fromkeys((1, batch)):
            raw_rate, _ = _concurrently(
                f"{base}/{names['raw', size]}", "raw", size, rows, processes
            )
            cmd_rate, lat = _concurrently(
                f"{base}/{names['command', size]}", "command", size, rows, processes
            )
            label = "one command per transaction" if size == 1 else f"batched ({size} per save)"
            print(
                f"{label}: command path {cmd_rate:,.0f}/s in total "
                f"(p50 {percentile(lat, 50) * 1e3:.2f} ms, p99 {percentile(lat, 99) * 1e3:.2f} ms"
                f" per save); raw save {raw_rate:,.0f}/s; ratio {cmd_rate / raw_rate:.0%} "
                "(target >= 2,000/s in total)"
            )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names.values():
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the databases (default: a temporary one)"
    )
    parser.add_argument("--db", default=None, help="a PostgreSQL server to measure instead")
    parser.add_argument(
        "--postgres", action="store_true", help="start a throw-away local PostgreSQL for the run"
    )
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument(
        "--pii", action="store_true", help="measure encryption at rest's cost on SQLite instead"
    )
    args = parser.parse_args()
    if args.postgres:
        from tests.postgres_server import server

        args.db = server().url("postgres")
    if args.db:
        run_postgres(args.db, args.customers, args.processes, args.batch, args.seed)
    else:
        measure = run_pii if args.pii else run
        if args.dir:
            args.dir.mkdir(parents=True, exist_ok=True)
            measure(args.customers, args.batch, args.dir, args.seed)
        else:
            with tempfile.TemporaryDirectory() as folder:
                measure(args.customers, args.batch, Path(folder), args.seed)


if __name__ == "__main__":
    main()
