"""Faults of the store itself, through the CLI: a SQLite file locked by another process,
a disk that fills up mid-import, a view runner killed mid-rebuild. Each gives a clear
error (never a traceback), leaves no partial state, and the next run carries on."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import create_engine

from adapters.demo_data import generate
from adapters.files.customers_csv import CUSTOMER_COLUMNS, write_rows
from crmcore import CrmApplication
from crmcore.domain import Customer, EventContext, IdentityKeyIndex
from crmcore.identity import normalise_key
from projections.registry import ALL_VIEWS
from tests.conftest import START, all_events, sqlite_env, view_rows
from tests.e2e.test_cli import CRM, crm


def _book_file(path: Path, customers: int, seed: int = 7) -> Path:
    rows = [r.fields for r in generate(customers, seed, duplicate_share=0,
                                       negative_share=0).rows if r.variation == "original"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_rows(handle, CUSTOMER_COLUMNS, rows)
    return path


def _consistent(db: Path) -> int:
    """Every customer holds all its key indexes and no index names a missing customer;
    returns how many customers there are."""
    app = CrmApplication(sqlite_env(db))
    try:
        events = all_events(app)
        customers = {e.originator_id for e in events if isinstance(e, Customer.Registered)}
        for customer_id in customers:
            for key in app.stored_customer(customer_id).identity_keys:
                index = app.find_index(key)
                assert index is not None, f"{key} of {customer_id} has no index"
                assert index.holder == customer_id
        holders = {e.customer_id for e in events
                   if isinstance(e, IdentityKeyIndex.Created | IdentityKeyIndex.Claimed)}
        assert holders <= customers, "an index names a missing customer"
        return len(customers)
    finally:
        app.close()


def test_a_locked_sqlite_file_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    assert crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
               cwd=tmp_path).returncode == 0
    before = _consistent(tmp_path / "crm.db")
    holder = sqlite3.connect(tmp_path / "crm.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, and not letting go
    try:
        locked = crm("customer", "add", "--company-name", "上海东方物流有限公司",
                     "--phone", "13800138000", cwd=tmp_path,
                     env={"CRM_SQLITE_LOCK_TIMEOUT": "1"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked.returncode == 1, locked.stderr
    assert "locked" in locked.stderr
    assert "sqlite_lock_timeout" in locked.stderr.replace("\n", " ")
    assert "Traceback" not in locked.stderr
    assert _consistent(tmp_path / "crm.db") == before
    again = crm("customer", "add", "--company-name", "上海东方物流有限公司",
                "--phone", "13800138000", cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def _with_file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_disk_that_fills_up_mid_import_leaves_a_consistent_book(tmp_path: Path) -> None:
    book = _book_file(tmp_path / "book.csv", 400)
    assert crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
               cwd=tmp_path).returncode == 0
    size = max(p.stat().st_size for p in tmp_path.glob("crm.db*"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    full = subprocess.run(
        [*CRM, "import", "customers", str(book), "--results", "results.csv"], cwd=tmp_path,
        capture_output=True, text=True, timeout=300, env=clean, check=False,
        preexec_fn=lambda: _with_file_size_limit(size + 96 * 1024),
    )
    assert full.returncode == 1, full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    results = (tmp_path / "results.csv").read_text(encoding="utf-8-sig")
    errors = [line for line in results.splitlines() if ",error," in line]
    assert errors, results[-500:]
    assert "disk" in errors[0] or "full" in errors[0], errors[0]
    imported = _consistent(tmp_path / "crm.db") - 1  # the customer added first
    assert 0 < imported < 400, imported  # some rows made it before the disk filled
    rerun = crm("import", "customers", str(book), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert _consistent(tmp_path / "crm.db") == 1 + 400


def _raw_book(db: Path, customers: int) -> None:
    app = CrmApplication(sqlite_env(db))
    try:
        context = EventContext(actor="li", recorded_at=START, occurred_at=START)
        batch: list[Any] = []
        for n in range(customers):
            key = normalise_key("phone", f"139{n:08d}")
            customer = Customer.register(
                uuid4(), company_name=f"第{n}号数据科技有限公司", contact_name=None,
                keys=(key,), region=None, industry=None, source=None, external_id=None,
                context=context)
            batch += [customer, IdentityKeyIndex.first_claim(key, customer.id, context)]
            if len(batch) >= 1000:
                app.save(*batch)
                batch = []
        app.save(*batch)
    finally:
        app.close()


def _kill_when_part_done(runner: subprocess.Popen[bytes], db: Path, total: int) -> bool:
    """Kills ``runner`` (SIGKILL) as soon as a view has committed part of the log."""
    watcher = sqlite3.connect(db, timeout=5)
    try:
        while runner.poll() is None:
            try:
                positions = [p for (p,) in watcher.execute(
                    "SELECT position FROM read_model_positions") if p is not None]
            except sqlite3.OperationalError:  # tables being dropped and created
                positions = []
            if any(0 < p < total for p in positions):
                os.kill(runner.pid, signal.SIGKILL)
                runner.wait(timeout=30)
                return True
            time.sleep(0.01)
        return False
    finally:
        watcher.close()


def test_a_view_runner_killed_mid_rebuild_resumes_with_nothing_lost_or_applied_twice(
    tmp_path: Path,
) -> None:
    # More customers than one of the runner's transactions applies (5,000 events), so a
    # kill can land between two of them; saved straight into the store (the views are
    # what this test is about, not the identity check).
    _raw_book(tmp_path / "crm.db", 5200)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    with sqlite3.connect(tmp_path / "crm.db") as log:
        total = log.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    runner = subprocess.Popen([*CRM, "projections", "rebuild"], cwd=tmp_path, env=clean,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _kill_when_part_done(runner, tmp_path / "crm.db", total), (
        "the rebuild finished before it could be killed mid-way: make the book larger")
    resumed = crm("projections", "run", "--once", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    fresh = crm("projections", "run", "--once", cwd=tmp_path,
                env={"CRM_READ_MODEL_URL": f"sqlite:///{tmp_path / 'fresh.db'}"})
    assert fresh.returncode == 0, fresh.stderr
    engines = [create_engine(f"sqlite:///{tmp_path / name}") for name in ("crm.db", "fresh.db")]
    try:
        resumed_rows, fresh_rows = (view_rows(engine, ALL_VIEWS) for engine in engines)
    finally:
        for engine in engines:
            engine.dispose()
    assert resumed_rows == fresh_rows
    assert len(resumed_rows["customer_directory"]) == 5200
