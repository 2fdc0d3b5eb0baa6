"""Benchmark: what encrypting personal data at rest costs a large book, beside the same
book stored plain in the same run.

Fills two SQLite books with ``--customers`` customers (company, contact, a mobile, an
e-mail: every one has personal data and so its own data key), saved 1,000 aggregates
at a time through the store's mapper (sealing included, the identity check not: that
is bench_register's). Then, on each: every view rebuilt from the log (the read side's
worst case: each customer's key unwrapped once), a customer loaded by id, and - on the
encrypted one - an erasure, each timed.

    PYTHONPATH=. python scripts/bench_pii.py --customers 100000
"""

from __future__ import annotations

import argparse
import base64
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from adapters.bootstrap import open_application, open_views
from adapters.settings import Settings
from crmcore import CrmApplication, ManualClock
from crmcore.customers.erasure import EraseCustomer
from crmcore.domain import Customer, EventContext, IdentityKeyIndex
from crmcore.identity import normalise_key
from crmcore.identity.filing import forget_profiles

START = datetime(2026, 1, 1, tzinfo=UTC)
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()  # a benchmark's, never a real one


def settings(folder: Path, name: str, pii: bool) -> Settings:
    return Settings.model_validate(
        {"db": str(folder / f"{name}.db"), "pii": {"master_key": MASTER_KEY} if pii else {}}
    )


def fill(app: CrmApplication, customers: int) -> tuple[float, list[UUID]]:
    context = EventContext(actor="bench", recorded_at=START, occurred_at=START)
    ids: list[UUID] = []
    batch: list[Customer | IdentityKeyIndex] = []
    began = time.perf_counter()
    for n in range(customers):
        keys = (normalise_key("phone", f"139{n:08d}"), normalise_key("email", f"c{n}@x.cn"))
        customer = Customer.register(
            uuid4(), company_name=f"第{n}号数据科技有限公司", contact_name=f"联系人{n}",
            keys=keys, region=None, industry=None, source=None, external_id=None,
            context=context)
        ids.append(customer.id)
        batch += [customer, *(IdentityKeyIndex.first_claim(k, customer.id, context,
                                                           app.key_ids) for k in keys)]
        if len(batch) >= 1000:
            app.save(*batch)
            batch = []
    app.save(*batch)
    return time.perf_counter() - began, ids


def measure(folder: Path, customers: int, pii: bool) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    config = settings(folder, "sealed" if pii else "plain", pii)
    app = open_application(config, clock=ManualClock(START))
    try:
        fill_s, ids = fill(app, customers)
        runner = open_views(config, app)
        forget_profiles()  # the other book's profiles are the same: start cold
        began = time.perf_counter()
        runner.rebuild()
        rebuild_s = time.perf_counter() - began
        runner.engine.dispose()
    finally:
        app.close()
    app = open_application(config, clock=ManualClock(START))  # a new process: cold caches
    try:
        loads = []
        for cid in ids[:: max(1, len(ids) // 200)]:
            t0 = time.perf_counter()
            app.get_customer(cid)
            loads.append(time.perf_counter() - t0)
        figures = {"fill": fill_s, "rebuild": rebuild_s, "load_p50": statistics.median(loads)}
        if pii:
            erasures = []
            for cid in ids[1 :: max(1, len(ids) // 20)]:
                t0 = time.perf_counter()
                app.erase_customer(EraseCustomer(actor="bench", customer_id=cid, reason="b"))
                erasures.append(time.perf_counter() - t0)
            figures["erase_p50"] = statistics.median(erasures)
        return figures
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} python "
          f"{platform.python_version()} | customers: {args.customers:,}")
    with tempfile.TemporaryDirectory() as folder:
        for pii in (False, True):  # warm up: imports and first-use costs, not measured
            measure(Path(folder) / f"warm-{pii}", 300, pii)
        plain = measure(Path(folder), args.customers, pii=False)
        sealed = measure(Path(folder), args.customers, pii=True)
    n = args.customers
    print(f"fill (raw saves, 1,000 per save): plain {n / plain['fill']:,.0f}/s, "
          f"encrypted {n / sealed['fill']:,.0f}/s; cost {1 - plain['fill'] / sealed['fill']:.0%}")
    print(f"rebuild every view: plain {plain['rebuild']:.1f} s, encrypted "
          f"{sealed['rebuild']:.1f} s; cost {sealed['rebuild'] / plain['rebuild'] - 1:.0%}")
    print(f"load one customer, new process, p50: plain {plain['load_p50'] * 1e3:.2f} ms, "
          f"encrypted {sealed['load_p50'] * 1e3:.2f} ms")
    print(f"erase one customer, p50: {sealed['erase_p50'] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
