"""Benchmark: latency and memory of the identity check with a large customer book loaded.

Loads N generated customers into the candidate index the way catch-up files them (each
record's profile under its blocking keys) - by default the persisted identity view in a
SQLite file, as every ``crm`` command asks it; ``--index memory`` the in-memory index of
an application on the in-memory store - then times the full duplicate check of new
records - re-entries of every variation kind, hard non-duplicates and brand-new
companies: parsing the command, normalising, blocking, comparing, scoring, deciding.
Exact keys are decided by the key-index aggregates in the store, not by this index;
``scripts/bench_register.py`` measures that path.

The raw baseline, measured in the same run on the same names: one brute-force
``rapidfuzz.process.extractOne`` scan of every loaded company name per query - what a
check without blocking would cost.

    python scripts/bench_identity_speed.py --customers 1000000 [--index memory] [--pii]
    python scripts/bench_identity_speed.py --customers 100000 --pii-paired
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from rapidfuzz import fuzz, process

from adapters.demo_data import generate
from bench_figures import figure
from crmcore import RegisterCustomer, ValidationFailed, parse_command
from crmcore.config import DedupMode, IdentityConfig
from crmcore.identity.candidates import IndexEntry
from crmcore.identity.check import IdentityChecker
from crmcore.identity.filing import record_profile
from identity_book import IndexFiler


def rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_book(path: Path, customers: int, queries: int, seed: int) -> None:
    """Generates the book in a child process, so its memory is not the index's."""
    share = min(0.5, queries / customers)
    data = generate(customers, seed, duplicate_share=share, negative_share=share / 4)
    with path.open("w", encoding="utf-8") as out:
        for record in data.rows:
            if record.variation != "invalid":
                out.write(json.dumps([record.variation, record.fields], ensure_ascii=False))
                out.write("\n")


def _originals(
    book: Path, queries: int, probes: list[dict[str, str]], skipped: list[int]
) -> Iterator[RegisterCustomer]:
    """The book's valid originals as commands, to file; the first ``queries`` other rows
    go to ``probes``, and invalid originals are counted in ``skipped[0]``."""
    with book.open(encoding="utf-8") as rows:
        for line in rows:
            variation, fields = json.loads(line)
            if variation != "original":
                if len(probes) < queries:
                    probes.append(fields)
                continue
            try:
                yield parse_command(RegisterCustomer, {"actor": "bench", **fields})
            except ValidationFailed:
                skipped[0] += 1


def run(customers: int, queries: int, baseline_queries: int, seed: int, folder: Path,
        index: str, pii: bool = False) -> None:
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | customers {customers:,} | seed {seed} | index {index}"
          f" | personal data {'sealed (master key)' if pii else 'in clear'}")
    began = time.perf_counter()
    book = folder / "book.jsonl"
    child = multiprocessing.get_context("spawn").Process(
        target=_write_book, args=(book, customers, queries, seed)
    )
    child.start()
    child.join()
    print(f"generated the book in {time.perf_counter() - began:.0f} s (child process); "
          f"RSS here {rss_mib():,.0f} MiB")

    config = IdentityConfig()
    filer = IndexFiler(index, folder, config, pii=pii)
    checker = IdentityChecker(config, filer.source)
    filed = 0
    names: list[str] = []
    probes: list[dict[str, str]] = []
    skipped: list[int] = [0]
    began = time.perf_counter()
    for command in _originals(book, queries, probes, skipped):
        entry = uuid.uuid4()
        filer.file(IndexEntry(entry, entry, record_profile(command.record())))
        filed += 1
        names.append(command.company_name or command.contact_name or "")
    filer.flush()
    invalid = skipped[0]
    load_seconds = time.perf_counter() - began
    print(f"index: {filed:,} customers filed in {load_seconds:.0f} s "
          f"({filed / load_seconds:,.0f}/s; {invalid} invalid originals skipped); "
          f"peak RSS {rss_mib():,.0f} MiB")

    latencies: list[float] = []
    regionless: list[float] = []  # a company name, and no region in it nor beside it
    outcomes: dict[str, int] = {}
    for fields in probes:
        began = time.perf_counter()
        try:
            command = parse_command(RegisterCustomer, {"actor": "bench", **fields})
        except ValidationFailed:
            continue
        profile = record_profile(command.record())
        decision = checker.check(profile, {}, DedupMode.BLOCK)
        latencies.append(time.perf_counter() - began)
        if profile.company is not None and not profile.region:
            regionless.append(latencies[-1])
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"check: {len(latencies):,} new records; p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; outcomes {outcomes}")
    if regionless:
        regionless.sort()
        print(f"  of which {len(regionless):,} name no region: p50 "
              f"{statistics.median(regionless) * 1000:.2f} ms, p99 "
              f"{regionless[max(0, int(len(regionless) * 0.99) - 1)] * 1000:.2f} ms")

    scans: list[float] = []
    for fields in probes[:baseline_queries]:
        query = fields.get("company_name") or fields.get("contact_name") or ""
        began = time.perf_counter()
        process.extractOne(query, names, scorer=fuzz.ratio)
        scans.append(time.perf_counter() - began)
    scan = statistics.median(scans) * 1000
    print(f"baseline: brute-force rapidfuzz scan of {len(names):,} names, median {scan:.0f} ms "
          f"({len(scans)} queries)")
    print(f"ratio: baseline / check p99 = {scan / p99:.1f}x (target >= 15x); "
          f"peak RSS {rss_mib():,.0f} MiB (target <= 2048)")
    if index == "persisted" and not pii:
        figure(f"identity check p99, {filed:,}-customer book", p99, "ms",
               target="<= 10 ms at 1M (persisted view)",
               detail=f"p50 {p50:.2f} ms; brute-force scan {scan:.0f} ms; "
                      f"peak RSS {rss_mib():,.0f} MiB")


def run_paired(customers: int, queries: int, seed: int, folder: Path) -> None:
    """What sealing personal data costs the check: the same book filed twice, in clear
    and sealed (a master key), and each probe checked against both, in alternating
    order, so both see the same machine at the same moment (a ratio survives a noisy
    machine; two runs minutes apart did not: ±25% with identical code)."""
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | customers {customers:,} | seed {seed} | in clear vs sealed, paired")
    book = folder / "book.jsonl"
    child = multiprocessing.get_context("spawn").Process(
        target=_write_book, args=(book, customers, queries, seed)
    )
    child.start()
    child.join()
    config = IdentityConfig()
    filers = {}
    for name in ("clear", "sealed"):
        (folder / name).mkdir()
        filers[name] = IndexFiler("persisted", folder / name, config, pii=name == "sealed")
    probes: list[dict[str, str]] = []
    began = time.perf_counter()
    for command in _originals(book, queries, probes, [0]):
        entry = uuid.uuid4()
        for filer in filers.values():
            filer.file(IndexEntry(entry, entry, record_profile(command.record())))
    for filer in filers.values():
        filer.flush()
    print(f"filed twice in {time.perf_counter() - began:.0f} s; peak RSS {rss_mib():,.0f} MiB")
    checkers = {name: IdentityChecker(config, f.source) for name, f in filers.items()}
    latencies: dict[str, list[float]] = {name: [] for name in checkers}
    outcomes: dict[str, list[str]] = {name: [] for name in checkers}
    for number, fields in enumerate(probes):
        try:
            command = parse_command(RegisterCustomer, {"actor": "bench", **fields})
            profile = record_profile(command.record())
        except ValidationFailed:
            continue
        order = ("clear", "sealed") if number % 2 else ("sealed", "clear")
        for name in order:
            began = time.perf_counter()
            decision = checkers[name].check(profile, {}, DedupMode.BLOCK)
            latencies[name].append(time.perf_counter() - began)
            outcomes[name].append(decision.outcome)
    figures = {}
    for name, values in latencies.items():
        values.sort()
        p99_at = int(len(values) * 0.99) - 1
        figures[name] = (statistics.median(values) * 1000, values[p99_at] * 1000)
        print(f"{name}: {len(values):,} checks; p50 {figures[name][0]:.2f} ms, "
              f"p99 {figures[name][1]:.2f} ms")
    print(f"same decisions: {outcomes['clear'] == outcomes['sealed']}")
    p50 = figures["sealed"][0] / figures["clear"][0] - 1
    p99 = figures["sealed"][1] / figures["clear"][1] - 1
    print(f"sealing costs p50 {p50:+.0%}, p99 {p99:+.0%} (target p99 within 20%); "
          f"peak RSS {rss_mib():,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--index", choices=("persisted", "memory"), default="persisted")
    parser.add_argument("--pii", action="store_true",
                        help="a book with a master key: personal halves sealed, blocks keyed")
    parser.add_argument("--pii-paired", action="store_true",
                        help="the book in clear and sealed, each probe checked against both")
    args = parser.parse_args()
    if (args.pii or args.pii_paired) and args.index == "memory":
        parser.error("--pii needs the persisted index (the memory index keeps nothing at rest)")
    with tempfile.TemporaryDirectory() as folder:
        if args.pii_paired:
            run_paired(args.customers, args.queries, args.seed, Path(folder))
            return
        run(args.customers, args.queries, args.baseline_queries, args.seed, Path(folder),
            args.index, args.pii)


if __name__ == "__main__":
    main()
