"""Eight processes register one phone in eight formats at the same instant: one customer."""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from crmcore import CrmApplication, normalise_key
from crmcore.domain import Customer
from tests.conftest import sqlite_env
from tests.integration.race_worker import register_in_rounds, typed_phone

PROCESSES = 8
ROUNDS = 50


@pytest.mark.slow
def test_racing_processes_leave_exactly_one_customer_per_phone(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    CrmApplication(sqlite_env(db)).close()  # create the tables before the race starts
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [ctx.Process(target=register_in_rounds, args=(str(db), w, ROUNDS, barrier, results))
               for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = [row for _ in workers for row in results.get(timeout=600)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    by_round: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for round_no, outcome, customer_id in outcomes:
        by_round[round_no].append((outcome, customer_id))
    for round_no in range(ROUNDS):
        rows = by_round[round_no]
        assert Counter(o for o, _ in rows) == {"created": 1, "blocked": PROCESSES - 1}, round_no
        assert len({cid for _, cid in rows}) == 1, "every loser must name the winner"

    # The store itself, read back independently of what the workers said.
    app = CrmApplication(sqlite_env(db))
    try:
        registered = [
            app.mapper.to_domain_event(n)
            for n in app.recorder.select_notifications(start=None, limit=10**9)
            if n.topic.endswith("Customer.Registered")
        ]
        assert all(isinstance(e, Customer.Registered) for e in registered)
        phones = Counter(p for e in registered for p in e.phones)
        assert len(registered) == ROUNDS
        assert set(phones.values()) == {1}
        for round_no in range(ROUNDS):
            key = normalise_key("phone", typed_phone(round_no, 0))
            holder = app.find_customer_by_key(key)
            assert holder is not None
            assert str(holder.customer_id) == by_round[round_no][0][1]
    finally:
        app.close()
