"""Two sweeper processes at the same instant over one store: every due customer is
recycled exactly once, and neither sweeper fails."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest

from adapters.demo_race import run_workers
from crmcore import ClaimCustomer, CrmApplication, CrmConfig, ManualClock, parse_command
from crmcore.domain import Ownership
from tests.conftest import all_events, hire, register

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CUSTOMERS = 60
CONFIG = CrmConfig.model_validate({"ownership": {"daily_claim_quota": 100, "sweep_batch_size": 7}})


def sweep_once(env: dict[str, str], barrier: Barrier, results: Queue[list[int]]) -> None:
    app = CrmApplication(env, clock=ManualClock(START + timedelta(days=2)), config=CONFIG)
    try:
        app.sales_view()  # fold the log before the start line, so both really race
        barrier.wait(timeout=60)
        results.put([len(app.sweep().actions)])
    finally:
        app.close()


@pytest.mark.slow
def test_two_sweepers_recycle_each_due_customer_exactly_once(store_env: dict[str, str]) -> None:
    env = store_env
    setup = CrmApplication(env, clock=ManualClock(START), config=CONFIG)
    hire(setup, "li", "wang")
    for n in range(CUSTOMERS):
        cid = register(setup, actor="importer", company_name=f"第{n}号回收测试有限公司")
        rep = "li" if n % 2 else "wang"
        setup.claim_customer(
            parse_command(ClaimCustomer, {"actor": rep, "customer_id": cid, "rep": rep})
        )
    setup.close()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results: Queue[list[int]] = ctx.Queue()
    workers = [ctx.Process(target=sweep_once, args=(env, barrier, results)) for _ in range(2)]
    acted = run_workers(workers, results)

    assert sum(acted) == CUSTOMERS, "together they acted on each customer once"
    app = CrmApplication(env, config=CONFIG)
    try:
        recycled = Counter(
            e.customer_id for e in all_events(app) if isinstance(e, Ownership.Recycled)
        )
        assert len(recycled) == CUSTOMERS
        assert set(recycled.values()) == {1}
        assert app.get_rep("li").open_count == app.get_rep("wang").open_count == 0
    finally:
        app.close()
