"""The stages of an engine's scan, timed, with progress for whoever watches.

1. **read**: the identity view's entries (stored profiles, parsed by the engine into
   columns) and blocks, page by page into the engine;
2. **size the blocks**: which blocks the entry check would look in (not too large, or
   an exact key's; never a generic key's);
3. **pair and screen**: the blocking self-join - every pair of entries of two live
   customers sharing such a block, once - a part at a time, each part screened by the
   feature bounds and the rules on the engine as it is made;
4. **judge**: the pairs left, compared and decided by
   :class:`~crmcore.identity.judge.PairJudge` - the entry path's judge - best evidence
   per pair of customers, a batch at a time as the engine hands them over (the two
   stages' times are told apart by the time spent waiting for the engine).

The report is written by the caller (``projections.duplicate_candidates.refresh``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Protocol
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from adapters.duplicate_scan.book import (
    Page,
    block_pages,
    entry_pages,
    exact_among,
    generic_hashes,
    looking_keys,
    profiles_of,
    read_book,
)
from adapters.duplicate_scan.duckdb_engine import PAIRS_PER_PART, DuckDbEngine, ScreenedRow
from crmcore.config import IdentityConfig
from crmcore.identity.check import IdentityChecker
from crmcore.identity.duplicate_scan import EntryPair, ScanOutcome, judge_pairs
from projections.identity_index import entries
from projections.identity_queries import personal_of
from projections.personal import PersonalSeal

ENGINES = ("duckdb", "spark")
JUDGE_BATCH = 20_000


class ScanEngine(Protocol):
    name: str

    def open_book(self, survivors: dict[str, str], generic: list[str]) -> None: ...

    def add_entries(self, page: Page) -> None: ...

    def holders(self) -> list[int]: ...

    def add_looking_keys(self, page: Page) -> None: ...

    def add_blocks(self, page: Page) -> None: ...

    def oversized(self, max_block_size: int) -> dict[int, int]: ...

    def pair_up(self, refused: set[int]) -> int: ...

    def compared(self) -> int: ...

    def screened(self, config: IdentityConfig) -> Iterator[ScreenedRow]: ...

    def close(self) -> None: ...


class Progress(Protocol):
    """What the scan tells whoever watches (the CLI's progress bar)."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage begins; ``total``: how many steps it has, when known."""

    def advance(self, steps: int) -> None: ...


class _Quiet:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


def _open_engine(name: str, part_size: int, staging: Path | None) -> ScanEngine:
    """The engine ``name`` (one of :data:`ENGINES`, checked by :func:`engine_scan`).
    Spark's module is imported only here: PySpark is an optional extra."""
    assert name in ENGINES
    if name == "spark":
        from adapters.duplicate_scan.spark_engine import SparkEngine

        return SparkEngine(part_size=part_size, staging=staging)
    return DuckDbEngine(part_size=part_size)


def engine_scan(
    views: Engine,
    engine: str = "duckdb",
    progress: Progress | None = None,
    *,
    part_size: int = PAIRS_PER_PART,
    staging: Path | None = None,
) -> Callable[[IdentityChecker], ScanOutcome]:
    """A whole-book scan (``projections.duplicate_candidates.Scan``) on ``engine``,
    reading the identity view in ``views``; ``part_size``: about how many candidate
    pairs the engine makes and screens at a time (the memory it needs); ``staging``:
    where Spark's engine puts the book it reads (a temporary folder by default; on a
    cluster, one every executor sees)."""
    if engine not in ENGINES:
        raise ValueError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
    watcher = progress or _Quiet()

    def scan(checker: IdentityChecker) -> ScanOutcome:
        checker.catch_up()
        personal = personal_of(checker.source)
        with _snapshot(views) as connection:
            chosen = _open_engine(engine, part_size, staging)
            return _scan(connection, checker, chosen, watcher, personal)

    return scan


def _snapshot(views: Engine) -> Connection:
    """One consistent read of the view: entries and blocks as of one instant."""
    if views.dialect.name == "postgresql":
        return views.connect().execution_options(isolation_level="REPEATABLE READ")
    return views.connect()


def _scan(
    connection: Connection,
    checker: IdentityChecker,
    engine: ScanEngine,
    progress: Progress,
    personal: PersonalSeal,
) -> ScanOutcome:
    config = checker.config
    stages: dict[str, float] = {}
    began = time.perf_counter()
    try:
        book = read_book(connection)
        progress.stage("read the identity view", _count(connection))
        engine.open_book(book.survivors, book.generic_labels)
        for page in entry_pages(connection, personal):
            engine.add_entries(page)
            progress.advance(len(page["entry_no"]))
        if holders := engine.holders():
            engine.add_looking_keys(looking_keys(connection, holders, book, personal))
        for page in block_pages(connection):
            engine.add_blocks(page)
        began = _lap(stages, "read the identity view", began)
        progress.stage("size the blocks")
        oversized = engine.oversized(config.max_block_size)
        refused = set(oversized) - exact_among(connection, oversized, personal)
        engine.pair_up(refused | generic_hashes(book, personal))
        began = _lap(stages, "size the blocks", began)
        progress.stage("pair, screen and judge", None)
        screened = _Timed(engine.screened(config))
        pairs = _entry_pairs(connection, screened, progress, personal)
        flagged = judge_pairs(checker.judge, pairs, book.generic)
        compared = engine.compared()
        # The engine makes and screens pairs while Python judges the ones it gave: the
        # two are told apart by the time spent waiting for the engine.
        stages["pair and screen"] = round(screened.seconds, 3)
        stages["judge"] = round(time.perf_counter() - began - screened.seconds, 3)
    finally:
        engine.close()
    return ScanOutcome(flagged, compared - len(flagged), engine.name, stages)


class _Timed:
    """An iterator that counts the time spent producing its items."""

    def __init__(self, items: Iterator[ScreenedRow]) -> None:
        self._items = items
        self.seconds = 0.0

    def __iter__(self) -> Iterator[ScreenedRow]:
        return self

    def __next__(self) -> ScreenedRow:
        began = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - began


def _entry_pairs(
    connection: Connection,
    rows: Iterator[ScreenedRow],
    progress: Progress,
    personal: PersonalSeal,
) -> Iterator[EntryPair]:
    """The screened pairs with their entries' profiles, read a batch at a time: the
    decoded profiles of a million-customer book's pairs would not fit the budget."""
    ids: dict[str, UUID] = {}

    def customer(live: str) -> UUID:
        found = ids.get(live)
        if found is None:
            found = ids[live] = UUID(live)
        return found

    while batch := list(islice(rows, JUDGE_BATCH)):
        numbers = sorted({n for row in batch for n in row[:2]})
        found = profiles_of(connection, numbers, personal)
        for a, b, ca, cb, fwd, bwd in batch:
            yield EntryPair(found[a], customer(ca), found[b], customer(cb), fwd, bwd)
        progress.advance(len(batch))


def _count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(entries)).scalar() or 0)


def _lap(stages: dict[str, float], name: str, began: float) -> float:
    now = time.perf_counter()
    stages[name] = round(now - began, 3)
    return now
