"""Where an imported row's time goes: wall time per stage of ``crm import customers``.

Wraps the import path's stages with timers (no profiler, so the figures are the real
costs) and prints microseconds per row for each; the stages nest as the import runs
them: ``validate`` (pydantic, phonenumbers, email-validator), ``profile`` (parsing
names: opencc, pypinyin), ``check`` (candidates, comparison, rules), ``create``
(events, key claims, cross-group check), ``save`` (the store).

    python scripts/profile_import.py --customers 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import adapters.importing as importing
import crmcore.application as application
import crmcore.customers.registration as registration
import crmcore.identity.check as identity_check
from adapters.files.customers_csv import CUSTOMER_COLUMNS, open_customer_file, write_rows
from bench_register import book, open_app

spent: dict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, stage: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - began

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    timed(importing, "parse_command", "validate")
    timed(registration, "record_profile", "profile")
    timed(identity_check.IdentityChecker, "check", "check")
    timed(registration._Batch, "_create", "create")
    timed(application.CrmApplication, "find_indexes", "key index reads")
    timed(identity_check.IdentityChecker, "catch_up", "catch-up")
    timed(application.CrmApplication, "save", "save")
    folder = Path(tempfile.mkdtemp(prefix="crm-profile-"))
    csv_path = folder / "book.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_rows(handle, CUSTOMER_COLUMNS, book(args.customers, args.seed))
    app = open_app(folder, "import")
    began = time.perf_counter()
    rows = list(importing.import_rows(app, open_customer_file(csv_path).rows(), actor="bench",
                                      phone_region="CN", batch_size=100))
    elapsed = time.perf_counter() - began
    app.close()
    print(f"{len(rows):,} rows in {elapsed:.1f} s: {len(rows) / elapsed:,.0f} rows/s, "
          f"{elapsed / len(rows) * 1e6:.0f} us per row")
    for stage, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {stage:16} {seconds / len(rows) * 1e6:6.0f} us per row")


if __name__ == "__main__":
    main()
