"""Sweepers racing over one store (two alone; four against four claiming reps): every due
customer is recycled exactly once, never claimed while owned, no process fails - on
SQLite and PostgreSQL."""

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


SWEEPERS, CLAIMERS = 4, 4


def claim_all(
    env: dict[str, str], rep: str, order: list[str], barrier: Barrier, results: Queue[list[int]]
) -> None:
    """A rep claiming every customer, over and over, while the sweepers recycle them:
    refused while owned, one winner once in the pool."""
    from crmcore import CrmError

    app = CrmApplication(env, clock=ManualClock(START + timedelta(days=2)), config=CONFIG)
    try:
        app.sales_view()
        barrier.wait(timeout=60)
        won = 0
        for _ in range(3):
            for cid in order:
                try:
                    app.claim_customer(parse_command(
                        ClaimCustomer, {"actor": rep, "customer_id": cid, "rep": rep}))
                    won += 1
                except CrmError:  # still owned, already claimed, another won the race
                    pass
        results.put([-1 - won])  # negative: a claimer's count, apart from the sweepers'
    finally:
        app.close()


@pytest.mark.slow
def test_sweepers_and_claimers_racing_keep_one_owner_and_recycle_each_once(
    store_env: dict[str, str],
) -> None:
    """Four sweepers recycle the due customers while four reps claim them from the pool
    at the same instant: each is recycled exactly once, claimed at most once after it,
    never claimed while it had an owner, and every rep's count matches its book."""
    env = store_env
    setup = CrmApplication(env, clock=ManualClock(START), config=CONFIG)
    claimers = [f"rep{n}" for n in range(CLAIMERS)]
    hire(setup, "li", "wang", *claimers)
    customers = []
    for n in range(CUSTOMERS):
        cid = register(setup, actor="importer", company_name=f"第{n}号争抢测试有限公司")
        rep = "li" if n % 2 else "wang"
        setup.claim_customer(
            parse_command(ClaimCustomer, {"actor": rep, "customer_id": cid, "rep": rep}))
        customers.append(str(cid))
    setup.close()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(SWEEPERS + CLAIMERS)
    results: Queue[list[int]] = ctx.Queue()
    sweepers = [ctx.Process(target=sweep_once, args=(env, barrier, results))
                for _ in range(SWEEPERS)]
    grabbers = [ctx.Process(target=claim_all, args=(env, rep, customers[n::-1] +
                                                     customers[n + 1:], barrier, results))
                for n, rep in enumerate(claimers)]
    reported = run_workers([*sweepers, *grabbers], results)
    swept = sum(n for n in reported if n >= 0)
    won = sum(-1 - n for n in reported if n < 0)

    app = CrmApplication(env, config=CONFIG)
    try:
        owner: dict[object, str | None] = {}
        recycled: Counter[object] = Counter()
        claimed_after: Counter[object] = Counter()
        for event in all_events(app):
            if not isinstance(event, Ownership.Event):
                continue
            cid = event.originator_id  # one ownership aggregate per customer
            if isinstance(event, Ownership.OwnerChanged):
                if isinstance(event, Ownership.Claimed) and event.owner in claimers:
                    assert owner.get(cid) is None, f"{cid} claimed while owned"
                    claimed_after[cid] += 1
                owner[cid] = event.owner
            elif isinstance(event, Ownership.OwnerRemoved):
                if isinstance(event, Ownership.Recycled):
                    recycled[cid] += 1
                owner[cid] = None
        assert len(recycled) == CUSTOMERS
        assert set(recycled.values()) == {1}
        assert swept == CUSTOMERS, "the sweepers together acted on each customer once"
        assert set(claimed_after.values()) <= {1}
        assert won == sum(claimed_after.values()) > 0, "what the claimers won is in the log"
        for rep in (*claimers, "li", "wang"):
            book = sum(1 for holder in owner.values() if holder == rep)
            assert app.get_rep(rep).open_count == book, rep
    finally:
        app.close()

