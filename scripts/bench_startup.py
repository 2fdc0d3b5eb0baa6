"""Benchmark: what one ``crm`` command costs a user on a large book - wall time and peak
memory of the whole process, start-up included.

Builds a book of N generated companies once (saved as the command path would save
them: customer and key indexes, no check needed since the originals are distinct) in
``--dir`` and reuses it on later runs. Then runs each command as a new process, twice
where a first run pays a one-off cost (a view's first catch-up), and reports wall time
and that process's own peak RSS (``os.wait4``). The raw baseline of the same run is a
bare ``python -c pass``: what starting any Python process costs here.

Targets (issue 15, at 1,000,000 customers): ``crm customer add``, ``crm customer list
--limit 20``, ``crm pool list --limit 20``, ``crm claim`` <= 1 s and <= 300 MiB;
``crm --help`` and ``crm config show`` <= 0.4 s.

    python scripts/bench_startup.py --customers 100000 --dir /tmp/book-100k
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.demo_data import generate
from adapters.demo_names import CORE_CHARACTERS
from adapters.settings import Settings
from bench_figures import figure
from crmcore import CrmApplication, ManualClock, RegisterCustomer, parse_command
from crmcore.customers.registration import new_customer
from crmcore.domain import Customer, EventContext, IdentityKeyIndex
from crmcore.identity import IdentityKey

_START = datetime(2026, 1, 1, tzinfo=UTC)
_CRM = [sys.executable, "-c", "from adapters.cli.main import run; run()"]
_SAVE_BATCH = 500


def build_book(db: Path, customers: int, seed: int) -> int:
    """Saves ``customers`` distinct companies into ``db``; returns how many."""
    settings = Settings(db=db)
    app = CrmApplication(settings.eventsourcing_env(), clock=ManualClock(_START),
                         config=settings.rules())
    rows = [r.fields for r in generate(customers, seed, duplicate_share=0, negative_share=0).rows
            if r.variation == "original"]
    context = EventContext(actor="bench", recorded_at=_START, occurred_at=_START)
    began = time.perf_counter()
    # At a million rows the generator repeats a phone or e-mail now and then; a real
    # registration would refuse the second holder, so the book skips it.
    claimed: set[IdentityKey] = set()
    saved = 0
    for start in range(0, len(rows), _SAVE_BATCH):
        aggregates: list[Customer | IdentityKeyIndex] = []
        for row in rows[start:start + _SAVE_BATCH]:
            command = parse_command(RegisterCustomer, {"actor": "bench", **row})
            keys = command.identity_keys()
            if claimed.intersection(keys):
                continue
            claimed.update(keys)
            customer = new_customer(app.new_id(), command, keys, context)
            aggregates.append(customer)
            aggregates += [IdentityKeyIndex.first_claim(k, customer.id, context) for k in keys]
            saved += 1
        app.save(*aggregates)
    app.close()
    print(f"built the book: {saved:,} customers ({len(rows) - saved:,} rows skipped: a key "
          f"repeated) in {time.perf_counter() - began:.0f} s")
    return saved


# A child's peak RSS starts at its parent's size (fork copies it), so each command is
# started by this small launcher, whose own size (~10 MiB) is the floor of the figure.
_LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); code = subprocess.call(sys.argv[1:])\n"
    "wall = time.perf_counter() - t\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{wall} {peak} {code}', file=sys.stderr)\n"
)


def measure(argv: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MiB, exit code, stdout) of one process."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"},
                          check=False)
    wall, peak, code = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(peak) / 1024, int(code), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, required=True, help="where the book is kept")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / "crm.db"
    marker = args.dir / "book.json"
    if not marker.exists() or json.loads(marker.read_text())["customers"] != args.customers:
        for stale in args.dir.glob("crm.db*"):
            stale.unlink()
        saved = build_book(db, args.customers, args.seed)
        marker.write_text(json.dumps({"customers": args.customers, "saved": saved}))
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | book: {args.customers:,} customers in {db} "
          f"({db.stat().st_size / 2**20:,.0f} MiB)")
    first_id = json.loads(measure([*_CRM, "customer", "list", "--limit", "1", "--json"],
                                  args.dir)[3])["customers"][0]["customer_id"]
    rng = random.Random()  # a new company every run: a repeat would be refused
    # A customer nobody owns yet, and a new rep to claim it (a rep's daily quota is 3).
    unowned = json.loads(measure([*_CRM, "customer", "list", "--limit", "1", "--offset",
                                  str(rng.randrange(args.customers // 2)), "--json"],
                                 args.dir)[3])["customers"][0]["customer_id"]
    rep = f"bench-{rng.randrange(10**6):06d}"
    phones = [f"199{rng.randrange(10**8):08d}" for _ in range(2)]
    companies = ["".join(rng.sample(CORE_CHARACTERS, 4)) + "科技有限公司" for _ in range(2)]
    steps: list[tuple[str, list[str], str]] = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"], "-"),
        ("crm --help", [*_CRM, "--help"], "<= 0.4 s"),
        ("crm config show", [*_CRM, "config", "show"], "<= 0.4 s"),
        ("crm customer list --limit 20", [*_CRM, "customer", "list", "--limit", "20"], "<= 1 s"),
        ("crm customer list --limit 20 --offset 5000 --region 北京",
         [*_CRM, "customer", "list", "--limit", "20", "--offset", "5000", "--region", "北京"],
         "<= 1 s"),
        ("crm customer show ID", [*_CRM, "customer", "show", first_id], "-"),
        # The first run on a book whose identity view is behind catches it up (once);
        # the second is what every later registration costs.
        *(
            (f"crm customer add (one new customer, run {n + 1})",
             [*_CRM, "customer", "add", "--company-name", companies[n], "--phone", phones[n]],
             "<= 1 s")
            for n in range(2)
        ),
        ("crm pool list --limit 20", [*_CRM, "pool", "list", "--limit", "20"], "<= 1 s"),
        ("crm rep add (a new rep)", [*_CRM, "rep", "add", rep, "--capacity", "50"], "-"),
        ("crm claim ID --rep (a customer nobody owns)",
         [*_CRM, "claim", unowned, "--rep", rep], "<= 1 s"),
        ("crm sweep (finds the due in the ownership view)", [*_CRM, "sweep"], "-"),
    ]
    results: list[dict[str, Any]] = []
    print(f"{'command':58} {'wall s':>8} {'peak MiB':>9} {'exit':>5}  target")
    for label, argv, target in steps:
        wall, rss, code, _ = measure(argv, args.dir)
        results.append({"command": label, "wall_s": round(wall, 3), "peak_mib": round(rss),
                        "exit": code, "target": target})
        print(f"{label:58} {wall:8.2f} {rss:9.0f} {code:5}  {target}")
    wall, _, code, out = measure([*_CRM, "projections", "rebuild", "--json"], args.dir)
    rebuilt = json.loads(out) if code == 0 else {}
    events = rebuilt.get("events", 0)
    print(f"crm projections rebuild (every view): {wall:.1f} s wall, {events:,} events, "
          f"{events / rebuilt.get('seconds', 1):,.0f} events/s applied (target >= 10,000)")
    figure(f"crm projections rebuild, {args.customers:,}-customer book",
           events / rebuilt.get("seconds", 1), "events/s", target=">= 10,000 events/s",
           detail=f"{wall:.1f} s wall, {events:,} events")

if __name__ == "__main__":
    main()
