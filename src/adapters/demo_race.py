"""Several processes registering one phone, typed differently, at the same instant.

Used by ``crm demo`` to show the guarantee and by the race test to prove it: each
process runs its own application on the same store, as separate services would.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import TypeVar

from adapters.settings import Settings
from crmcore import (
    Clock,
    CrmApplication,
    CrmConfig,
    DuplicateCustomer,
    RegisterCustomer,
    parse_command,
)

FORMATS = (
    "{p} {a} {b}",
    "+86-{p}-{a}-{b}",
    "0086 {p}{a}{b}",
    "86 {p}-{a}-{b}",
    "{p}{a}{b}",
    "(+86) {p} {a} {b}",
    "+86 {p}.{a}.{b}",
    "{fullwidth}",
)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def typed_phone(round_no: int, style: int, prefix: str = "147") -> str:
    """Round ``round_no``'s mobile, as the ``style``-th rep would type it."""
    a, b = "0013", f"{round_no % 10_000:04d}"
    fullwidth = f"{prefix}{a}{b}".translate(_FULLWIDTH)
    return FORMATS[style % len(FORMATS)].format(p=prefix, a=a, b=b, fullwidth=fullwidth)


@dataclass(frozen=True)
class RaceEntry:
    round_no: int
    worker: int
    typed: str
    outcome: str  # "created" or "blocked"
    customer_id: str  # the new customer, or the one the refusal names


def race_company(round_no: int) -> str:
    """A company name per round, unlike every other round's (the race is about the phone)."""
    picks = random.Random(f"race-company-{round_no}").sample(_NAME_CHARACTERS, 4)
    return "".join(picks) + "有限公司"


_NAME_CHARACTERS = "安柏辰德恩方高瀚弘景骏凯朗铭楠沛启锐森拓炜翔耀毅泽中卓远青岚"


Book = Mapping[str, str] | Settings
"""How a race worker opens the book: the ``crm`` settings (their store, views, rules and
encryption), or an event store's environment alone (the race tests' small books)."""


def open_racer(
    book: Book, config: CrmConfig | None = None, clock: Clock | None = None
) -> CrmApplication:
    """A race worker's application. From settings, on the book's persisted views as
    ``crm`` opens it, so a worker's start does not depend on the book's size; from an
    environment, with ``config`` and the in-memory index, which folds the log at start."""
    if isinstance(book, Settings):
        from adapters.bootstrap import open_application

        return open_application(book, clock)
    return CrmApplication(book, config=config, clock=clock)


def register_in_rounds(
    book: Book,
    worker: int,
    rounds: range,
    barrier: Barrier,
    results: Queue[list[RaceEntry]],
) -> None:
    """A worker: waits for all others at each round, then registers that round's phone."""
    app = open_racer(book)
    entries: list[RaceEntry] = []
    try:
        for round_no in rounds:
            typed = typed_phone(round_no, worker)
            command = parse_command(
                RegisterCustomer,
                {
                    "actor": f"rep-{worker + 1}",
                    "company_name": f"{race_company(round_no)}（销售{worker + 1}录入）",
                    "phone": typed,
                },
            )
            barrier.wait(timeout=120)
            entries.append(_register(app, round_no, worker, typed, command))
    finally:
        app.close()
        results.put(entries)


def _register(
    app: CrmApplication, round_no: int, worker: int, typed: str, command: RegisterCustomer
) -> RaceEntry:
    try:
        return RaceEntry(round_no, worker, typed, "created", str(app.register_customer(command)))
    except DuplicateCustomer as refusal:
        return RaceEntry(round_no, worker, typed, "blocked", str(refusal.existing_customer_id))


def race(book: Book, processes: int, rounds: range) -> list[RaceEntry]:
    """Runs ``processes`` workers over ``rounds``; returns every entry of every worker.
    Each worker opens ``book`` itself (:func:`open_racer`)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results: Queue[list[RaceEntry]] = ctx.Queue()
    workers = [
        ctx.Process(
            target=register_in_rounds,
            args=(book if isinstance(book, Settings) else dict(book), w, rounds, barrier, results),
        )
        for w in range(processes)
    ]
    return run_workers(workers, results)


T = TypeVar("T")


def run_workers(workers: Sequence[BaseProcess], results: Queue[list[T]]) -> list[T]:
    """Starts the worker processes and returns what they all put on ``results``."""
    for worker in workers:
        worker.start()
    entries = [entry for _ in workers for entry in results.get(timeout=600)]
    for worker in workers:
        worker.join(timeout=60)
        if worker.exitcode != 0:
            raise RuntimeError(f"race worker exited with {worker.exitcode}")
    return entries
