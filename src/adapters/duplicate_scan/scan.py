"""The stages of an engine's scan, timed, with progress for whoever watches.

1. **read**: the identity view's entries (profiles decoded into columns) and blocks,
   page by page into the engine;
2. **pair**: the blocking self-join - every pair of entries of two live customers that
   share a block the entry check would look in, once;
3. **screen**: the feature bounds and the rules' screens, on the engine;
4. **judge**: the pairs left, compared and decided by
   :class:`~crmcore.identity.judge.PairJudge` - the entry path's judge - best evidence
   per pair of customers.

The report is written by the caller (``projections.duplicate_candidates.refresh``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from adapters.duplicate_scan.book import (
    Book,
    Page,
    block_pages,
    entry_pages,
    exact_among,
    generic_hashes,
    profiles_of,
    read_book,
)
from adapters.duplicate_scan.duckdb_engine import DuckDbEngine, ScreenedRow
from crmcore.config import IdentityConfig
from crmcore.identity.check import IdentityChecker
from crmcore.identity.duplicate_scan import EntryPair, ScanOutcome, judge_pairs
from projections.identity_index import entries

ENGINES = ("duckdb",)


class ScanEngine(Protocol):
    name: str

    def add_entries(self, columns: Page, revised: Page) -> None: ...

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


def open_engine(name: str) -> ScanEngine:
    if name == "duckdb":
        return DuckDbEngine()
    raise ValueError(f"engine: {name!r} is not one of {', '.join(ENGINES)}")


def engine_scan(
    views: Engine, engine: str = "duckdb", progress: Progress | None = None
) -> Callable[[IdentityChecker], ScanOutcome]:
    """A whole-book scan (``projections.duplicate_candidates.Scan``) on ``engine``,
    reading the identity view in ``views``."""
    if engine not in ENGINES:
        raise ValueError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
    watcher = progress or _Quiet()

    def scan(checker: IdentityChecker) -> ScanOutcome:
        checker.catch_up()
        with _snapshot(views) as connection:
            return _scan(connection, checker, open_engine(engine), watcher)

    return scan


def _snapshot(views: Engine) -> Connection:
    """One consistent read of the view: entries and blocks as of one instant."""
    if views.dialect.name == "postgresql":
        return views.connect().execution_options(isolation_level="REPEATABLE READ")
    return views.connect()


def _scan(
    connection: Connection, checker: IdentityChecker, engine: ScanEngine, progress: Progress
) -> ScanOutcome:
    config = checker.config
    stages: dict[str, float] = {}
    began = time.perf_counter()
    try:
        book = read_book(connection)
        progress.stage("read the identity view", _count(connection))
        for columns, revised in entry_pages(connection, book):
            engine.add_entries(columns, revised)
            progress.advance(len(columns["entry_no"]))
        for page in block_pages(connection):
            engine.add_blocks(page)
        began = _lap(stages, "read the identity view", began)
        progress.stage("pair entries sharing a block")
        oversized = engine.oversized(config.max_block_size)
        refused = set(oversized) - exact_among(connection, oversized)
        entry_pairs = engine.pair_up(refused | generic_hashes(book))
        compared = engine.compared()
        began = _lap(stages, "candidate pairs", began)
        progress.stage("screen the pairs", entry_pairs)
        rows = list(engine.screened(config))
        progress.advance(entry_pairs)
        began = _lap(stages, "screen", began)
        progress.stage("judge the pairs left", len(rows))
        flagged = judge_pairs(checker.judge, _entry_pairs(connection, book, rows), book.generic)
        progress.advance(len(rows))
        _lap(stages, "judge", began)
    finally:
        engine.close()
    return ScanOutcome(flagged, compared - len(flagged), engine.name, stages)


def _entry_pairs(connection: Connection, book: Book, rows: list[ScreenedRow]) -> list[EntryPair]:
    found = profiles_of(connection, sorted({n for row in rows for n in row[:2]}))
    customers = book.customers
    return [
        EntryPair(found[a], customers[ca], found[b], customers[cb], fwd, bwd)
        for a, b, ca, cb, fwd, bwd in rows
    ]


def _count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(entries)).scalar() or 0)


def _lap(stages: dict[str, float], name: str, began: float) -> float:
    now = time.perf_counter()
    stages[name] = round(now - began, 3)
    return now
