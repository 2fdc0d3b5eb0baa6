"""kill -9 of a writer in the middle of its work leaves no partial state: every customer
in the store has all its key indexes and its ownership, every index names a customer
that exists, and the store takes the next command - on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crmcore import AddRep, CrmApplication, RegisterCustomer, parse_command
from crmcore.domain import Customer, IdentityKeyIndex, Ownership
from tests.conftest import all_events

WORKER = Path(__file__).with_name("kill_worker.py")


def _kill_a_writer(env: dict[str, str], after: int, pause: float) -> list[str]:
    """Starts a writer, lets it confirm ``after`` customers, waits ``pause`` s, kills it."""
    root = Path(__file__).parents[2]
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(env)], cwd=root,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert worker.stdout is not None
    confirmed = [worker.stdout.readline().strip() for _ in range(after)]
    assert all(confirmed), worker.stderr.read() if worker.stderr else ""
    time.sleep(pause)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    return confirmed


def test_a_writer_killed_mid_command_leaves_no_partial_state(store_env: dict[str, str]) -> None:
    setup = CrmApplication(store_env)
    setup.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": "li", "capacity": 100_000}))
    setup.close()
    confirmed: list[str] = []
    for pause in (0.05, 0.137, 0.29):  # three kills, somewhere inside later commands
        confirmed += _kill_a_writer(store_env, after=10, pause=pause)

    app = CrmApplication(store_env)
    try:
        events = all_events(app)
        customers = {e.originator_id: e for e in events if isinstance(e, Customer.Registered)}
        assert {str(c) for c in customers} >= set(confirmed)  # what was confirmed is there
        holders = {
            e.originator_id: e.customer_id for e in events
            if isinstance(e, IdentityKeyIndex.Event) and hasattr(e, "customer_id")
        }
        owned = {e.customer_id for e in events if isinstance(e, Ownership.Started)}
        for customer_id in customers:
            for key in app.stored_customer(customer_id).identity_keys:
                index = app.find_index(key)
                assert index is not None
                assert index.holder == customer_id, f"{key} of {customer_id} has no index"
            assert customer_id in owned, f"{customer_id} was saved without its ownership"
        assert set(holders.values()) <= set(customers), "an index names a missing customer"
        # The store takes the next command as if nothing had happened.
        app.register_customer(parse_command(RegisterCustomer, {
            "actor": "li", "company_name": "断电之后科技有限公司", "phone": "13700137000"}))
    finally:
        app.close()
