"""Several processes claiming the same pool customer at the same instant (抢公海客户).

Used by ``crm demo`` to show the guarantee and by the race test to prove it: each
process runs its own application on the same store, as separate services would, and
each round every worker claims that round's customer for its own rep after a barrier.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any
from uuid import UUID

from adapters.demo_race import Book, open_racer, run_workers
from adapters.settings import Settings
from crmcore import ClaimCustomer, CrmConfig, ManualClock, parse_command
from crmcore.errors import OwnershipRefused


@dataclass(frozen=True)
class ClaimEntry:
    round_no: int
    rep: str
    outcome: str  # "won" or "refused"
    rule: str | None  # the refusal's rule
    other_party: str | None  # who the refusal names


def claim_in_rounds(
    book: Book,
    config: dict[str, Any],
    at: datetime | None,
    rep: str,
    customers: Sequence[UUID],
    barrier: Barrier,
    results: Queue[list[ClaimEntry]],
) -> None:
    """A worker: waits for all others at each round, then claims that round's customer."""
    clock = ManualClock(at) if at is not None else None
    app = open_racer(book, CrmConfig.model_validate(config), clock)
    entries: list[ClaimEntry] = []
    try:
        for round_no, customer_id in enumerate(customers):
            command = parse_command(
                ClaimCustomer, {"actor": rep, "customer_id": customer_id, "rep": rep}
            )
            barrier.wait(timeout=120)
            try:
                app.claim_customer(command)
                entries.append(ClaimEntry(round_no, rep, "won", None, None))
            except OwnershipRefused as refusal:
                entries.append(
                    ClaimEntry(round_no, rep, "refused", refusal.rule, refusal.other_party)
                )
    finally:
        app.close()
        results.put(entries)


def claim_race(
    book: Book,
    config: CrmConfig,
    reps: Sequence[str],
    customers: Sequence[UUID],
    at: datetime | None = None,
) -> list[ClaimEntry]:
    """One process per rep, all claiming ``customers`` one round at a time; returns every
    entry of every worker. ``at`` pins the workers' clocks (the demo's simulated time).
    Each worker opens ``book`` itself (``adapters.demo_race.open_racer``: settings bring
    their own rules, an environment is given ``config``)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(reps))
    results: Queue[list[ClaimEntry]] = ctx.Queue()
    config_json = config.model_dump(mode="json")
    workers = [
        ctx.Process(
            target=claim_in_rounds,
            args=(
                book if isinstance(book, Settings) else dict(book),
                config_json,
                at,
                rep,
                list(customers),
                barrier,
                results,
            ),
        )
        for rep in reps
    ]
    return run_workers(workers, results)
