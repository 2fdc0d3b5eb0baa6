"""The scan on DuckDB: the blocking self-join and the screens, in one embedded process.

DuckDB runs the joins vectorised on every core, spilling to a temporary directory past
its memory limit (``MEMORY_LIMIT``: the scan's 2 GiB budget at a million customers is
the whole process's, and the process peaked ~0.75 GiB above DuckDB's limit - the judge,
the interpreter, DuckDB's own allocations outside the limit). The identity view is fed
in pages from Python - DuckDB's SQLite and PostgreSQL scanners are extensions
downloaded at run time, which a production host may not allow - and the few lists the
SQL needs are built inside DuckDB.

Candidate pairs are made a part at a time (entries by number modulo the parts): each
part's pairs are made distinct (a pair sharing several blocks once), screened, counted
and dropped before the next part is made, so memory follows the part, not the book. A
DISTINCT per part was measured 15x faster than keeping each pair under the smallest
block the two share (two list look-ups per raw pair).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from adapters.duplicate_scan import pair_queries as q
from adapters.duplicate_scan.book import Page
from adapters.duplicate_scan.pair_sql import might_be_one_edit
from adapters.duplicate_scan.stored_profiles import INSERT_ENTRIES
from crmcore.config import IdentityConfig

ScreenedRow = tuple[int, int, str, str, bool, bool]
"""(entry a, entry b, customer a, customer b (the live ones), forward, backward)"""


class DuckDbDialect:
    def any_of(self, items: str, name: str, predicate: str) -> str:
        return f"list_bool_or(list_transform({items}, lambda {name}: {predicate}))"

    def overlap(self, one: str, other: str) -> str:
        return f"list_has_any({one}, {other})"

    def size(self, items: str) -> str:
        return f"len({items})"

    def total(self, items: str, name: str, value: str) -> str:
        return f"list_sum(list_transform({items}, lambda {name}: {value}))"

    def best(self, items: str, name: str, value: str) -> str:
        return f"list_max(list_transform({items}, lambda {name}: {value}))"

    def one_edit(self, x: str, y: str) -> str:
        # Restricted and unrestricted Damerau-Levenshtein agree on distance 1. The
        # distance only where it can be 1 (pair_sql.might_be_one_edit): computed on
        # every pair of words, it was four fifths of the Latin names' screen.
        return f"({might_be_one_edit(x, y)} AND damerau_levenshtein({x}, {y}) = 1)"

    def gather(self, value: str) -> str:
        return f"list({value})"


_ENTRIES = """CREATE TABLE entries (
    entry_no BIGINT, live VARCHAR, cust INTEGER, holder BOOLEAN, core VARCHAR,
    sound VARCHAR, words VARCHAR[], brand VARCHAR, trade VARCHAR, branch VARCHAR,
    latin BOOLEAN, c_script VARCHAR, c_sound VARCHAR, c_surname VARCHAR, c_partial BOOLEAN,
    c_codes VARCHAR, region VARCHAR, phones VARCHAR[], has_emails BOOLEAN, emails VARCHAR[],
    labels VARCHAR[], n_phones INTEGER, p_cc VARCHAR, p_digits VARCHAR, n_emails INTEGER,
    e_key VARCHAR, e_domain VARCHAR)"""


_D = DuckDbDialect()
MEMORY_LIMIT = "1200MB"
"""At a million customers (bench_scan.py): 1,100 MB spilled the pairing's joins to disk
(318.7 s, 1,857 MiB peak), 1,300 MB did not (229.1 s) but peaked at 2,102 MiB."""
STAGED = ("entries", "blocks", "revised")
"""The tables :meth:`DuckDbEngine.export` hands to another engine, one Parquet file each."""
PAIRS_PER_PART = 8_000_000
"""Candidate pairs made, screened and forgotten at a time: a million customers give a
hundred million pairs, whose DISTINCT alone would not fit the memory budget."""


class DuckDbEngine:
    """One scan's DuckDB database (in memory, spilling to its own temporary folder)."""

    name = "duckdb"

    def __init__(
        self,
        memory_limit: str = MEMORY_LIMIT,
        threads: int | None = None,
        part_size: int = PAIRS_PER_PART,
    ) -> None:
        self._part_size = part_size
        self._folder = tempfile.TemporaryDirectory(prefix="crm-scan-")
        self._db = duckdb.connect(config={"memory_limit": memory_limit})
        spill = Path(self._folder.name) / "spill"
        self._db.execute(f"SET temp_directory = '{spill}'")
        self._db.execute("SET preserve_insertion_order = false")
        if threads is not None:
            self._db.execute(f"SET threads = {int(threads)}")
        self._db.execute(_ENTRIES)
        self._db.execute("CREATE TABLE blocks (key_hash BIGINT, entry_no BIGINT)")
        self._db.execute("CREATE TABLE revised (entry_no BIGINT, key_hash BIGINT)")

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def export(self, folder: Path) -> None:
        """Writes what was loaded - ``entries`` (parsed and numbered), ``blocks`` and
        ``revised`` - as Parquet files named after the tables into ``folder``: how
        another engine (Spark) takes the book, with the profiles parsed once, here."""
        for table in STAGED:
            target = str(folder / f"{table}.parquet").replace("'", "''")
            self._db.execute(f"COPY {table} TO '{target}' (FORMAT PARQUET)")

    # -- loading -----------------------------------------------------------------------

    def _append(self, table: str, page: Page) -> None:
        if not len(next(iter(page.values()))):
            return
        self._db.register("page", page)
        try:
            names = ", ".join(page)
            self._db.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM page")
        finally:
            self._db.unregister("page")

    def open_book(self, survivors: dict[str, str], generic: list[str]) -> None:
        """Who survives whom (merged customers' ids -> the live one) and the labels of
        the generic keys: what filing the entries needs."""
        self._generic = generic
        self._db.execute("CREATE TABLE survivors (tombstone VARCHAR, survivor VARCHAR)")
        if survivors:
            dead, alive = zip(*survivors.items(), strict=True)
            self._append(
                "survivors",
                {
                    "tombstone": np.array(dead, dtype=object),
                    "survivor": np.array(alive, dtype=object),
                },
            )

    def add_entries(self, page: Page) -> None:
        """Files a page of stored entries (``entry_no``, ``customer_id``, ``profile``)."""
        self._db.register("page", page)
        try:
            self._db.execute(INSERT_ENTRIES, {"generic": self._generic})
        finally:
            self._db.unregister("page")

    def holders(self) -> list[int]:
        """Once every entry is filed: numbers each live customer (``cust``) and says
        which entries hold a generic key (their look-up keys are asked next)."""
        db = self._db
        # The table made anew, not UPDATEd: an in-memory database keeps an update's
        # versions for its whole life (memory the pairing needs at a million).
        db.execute(
            "CREATE TABLE numbered AS SELECT e.* REPLACE (c.cust AS cust) FROM entries e "
            "JOIN (SELECT live, CAST(row_number() OVER () - 1 AS INTEGER) AS cust "
            "FROM (SELECT DISTINCT live FROM entries)) c ON c.live = e.live"
        )
        db.execute("DROP TABLE entries")
        db.execute("ALTER TABLE numbered RENAME TO entries")
        return [
            int(n) for (n,) in db.execute("SELECT entry_no FROM entries WHERE holder").fetchall()
        ]

    def add_looking_keys(self, page: Page) -> None:
        self._append("revised", page)

    def add_blocks(self, page: Page) -> None:
        self._append("blocks", page)

    # -- pairing -----------------------------------------------------------------------

    def oversized(self, max_block_size: int) -> dict[int, int]:
        """Blocks of more than ``max_block_size`` entries: hash -> one entry in it."""
        self._db.execute(f"CREATE TABLE sizes AS {q.SIZES}")
        rows = self._db.execute(q.oversized(max_block_size)).fetchall()
        return {int(value): int(one) for value, one in rows}

    def pair_up(self, refused: set[int]) -> int:
        """Prepares the candidate pairs - every pair of entries of two different
        customers sharing a block the entry check looks in (``refused``: blocks it never
        looks in) - without making them: that is done part by part by :meth:`screened`.
        Returns how many (entry, entry) rows the blocks give (a pair sharing two blocks
        counts twice)."""
        db = self._db
        db.execute("CREATE TABLE refused (key_hash BIGINT)")
        if refused:
            db.executemany("INSERT INTO refused VALUES (?)", [[value] for value in refused])
        db.execute(f"CREATE TABLE ab AS {q.LOOKED_IN}")
        db.execute("DROP TABLE blocks")
        self._holders = _count(db, q.HOLDERS)
        if self._holders:
            db.execute(f"CREATE TABLE ekeys AS {q.filed_keys(_D)}")
            db.execute(f"CREATE TABLE qkeys AS {q.looking_keys(_D)}")
        self._raw = _count(db, q.RAW_PAIRS_TWICE) // 2
        db.execute("DROP TABLE sizes")  # one row a block: room for the pairing
        db.execute("CREATE TABLE counted (ca INTEGER, cb INTEGER)")
        self._single = 0
        return self._raw

    def screened(self, config: IdentityConfig) -> Iterator[ScreenedRow]:
        """The candidate pairs on which some rule could fire, and every pair touching an
        entry with a generic key (the judge works those out direction by direction);
        counts the pairs of customers compared on the way (:meth:`compared`)."""
        judged = q.to_judge(_D, config, bool(self._holders))
        counted = q.to_count(bool(self._holders))
        parts = q.part_count(self._raw, self._part_size)
        db = self._db
        for number in range(parts):
            db.execute(f"CREATE OR REPLACE TEMP TABLE part AS {q.part(parts, number)}")
            if self._holders:
                db.execute(f"CREATE OR REPLACE TEMP TABLE directed AS {q.directed(_D)}")
            yield from self._fetch(judged)
            self._single += _count(db, q.SINGLE)
            db.execute(f"INSERT INTO counted {counted}")
        db.execute("DROP TABLE IF EXISTS part")
        db.execute("DROP TABLE IF EXISTS directed")

    def compared(self) -> int:
        """Pairs of customers compared (after :meth:`screened`): a pair of customers with
        one entry each is one pair of entries; only the others need a DISTINCT."""
        return self._single + _count(self._db, q.COMPARED)

    def _fetch(self, query: str) -> Iterator[ScreenedRow]:
        result = self._db.execute(query)
        while rows := result.fetchmany(50_000):
            for row in rows:
                yield screened_row(row)


def _count(db: duckdb.DuckDBPyConnection, query: str) -> int:
    found = db.execute(query).fetchone()
    return int(found[0] or 0) if found else 0


def screened_row(row: Any) -> ScreenedRow:
    """A screened pair as the judge takes it (from an engine's row of six columns)."""
    a, b, ca, cb, fwd, bwd = row
    return int(a), int(b), str(ca), str(cb), bool(fwd), bool(bwd)
