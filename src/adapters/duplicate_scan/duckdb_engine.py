"""The scan on DuckDB: the blocking self-join and the screens, in one embedded process.

DuckDB runs the joins vectorised on every core, spilling to a temporary directory past
its memory limit (``memory_limit``: the scan's 2 GiB budget at a million customers is
the whole process's). The identity view is fed in pages from Python - DuckDB's SQLite
and PostgreSQL scanners are extensions downloaded at run time, which a production host
may not allow - and the few lists the SQL needs are built inside DuckDB.

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

from adapters.duplicate_scan.book import Page
from adapters.duplicate_scan.pair_sql import feature_bounds, screen_predicate
from adapters.duplicate_scan.stored_profiles import INSERT_ENTRIES
from crmcore.config import IdentityConfig
from crmcore.identity.pair_screen import screens

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
        # Restricted and unrestricted Damerau-Levenshtein agree on distance 1.
        return f"damerau_levenshtein({x}, {y}) = 1"


_ENTRIES = """CREATE TABLE entries (
    entry_no BIGINT, live VARCHAR, cust INTEGER, holder BOOLEAN, core VARCHAR,
    sound VARCHAR, words VARCHAR[], brand VARCHAR, trade VARCHAR, branch VARCHAR,
    latin BOOLEAN, c_script VARCHAR, c_sound VARCHAR, c_surname VARCHAR, c_partial BOOLEAN,
    c_codes VARCHAR, region VARCHAR, phones VARCHAR[], has_emails BOOLEAN, emails VARCHAR[],
    labels VARCHAR[], n_phones INTEGER, p_cc VARCHAR, p_digits VARCHAR, n_emails INTEGER,
    e_key VARCHAR, e_domain VARCHAR, multi BOOLEAN DEFAULT false)"""


_D = DuckDbDialect()
PAIRS_PER_PART = 8_000_000
"""Candidate pairs made, screened and forgotten at a time: a million customers give a
hundred million pairs, whose DISTINCT alone would not fit the memory budget."""


class DuckDbEngine:
    """One scan's DuckDB database (in memory, spilling to its own temporary folder)."""

    name = "duckdb"

    def __init__(
        self,
        memory_limit: str = "1GB",
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
        db.execute(
            "CREATE TABLE custs AS SELECT live, CAST(row_number() OVER () - 1 AS INTEGER) "
            "AS cust FROM (SELECT DISTINCT live FROM entries)"
        )
        db.execute(
            "UPDATE entries SET cust = custs.cust FROM custs WHERE entries.live = custs.live"
        )
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
        self._db.execute(
            "CREATE TABLE sizes AS SELECT key_hash, count(*) AS n, min(entry_no) AS one "
            "FROM blocks GROUP BY key_hash HAVING count(*) > 1"
        )
        rows = self._db.execute(
            "SELECT key_hash, one FROM sizes WHERE n > ?", [max_block_size]
        ).fetchall()
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
        db.execute(
            "UPDATE entries SET multi = true WHERE cust IN "
            "(SELECT cust FROM entries GROUP BY cust HAVING count(*) > 1)"
        )
        db.execute(
            "CREATE TABLE ab AS SELECT b.key_hash, b.entry_no, e.cust, e.multi, e.holder "
            "FROM blocks b JOIN entries e USING (entry_no) "
            "WHERE b.key_hash IN (SELECT key_hash FROM sizes) "
            "AND b.key_hash NOT IN (SELECT key_hash FROM refused)"
        )
        db.execute("DROP TABLE blocks")
        holders = db.execute("SELECT count(*) FROM entries WHERE holder").fetchone()
        self._holders = int(holders[0]) if holders else 0
        if self._holders:
            # The look-up keys of entries holding a generic key (few), and the filed keys
            # of every entry (asked only of those paired with such an entry).
            db.execute(
                "CREATE TABLE ekeys AS SELECT entry_no, list(key_hash) AS keys "
                "FROM ab GROUP BY entry_no"
            )
            db.execute(
                "CREATE TABLE qkeys AS SELECT entry_no, list(key_hash) AS keys "
                "FROM revised WHERE key_hash IN (SELECT key_hash FROM ab) GROUP BY entry_no"
            )
        found = db.execute(
            "SELECT sum(n * (n - 1) // 2) FROM sizes "
            "WHERE key_hash NOT IN (SELECT key_hash FROM refused)"
        ).fetchone()
        self._raw = int(found[0] or 0) if found else 0
        db.execute("CREATE TABLE counted (ca INTEGER, cb INTEGER)")
        self._single = 0
        return self._raw

    def screened(self, config: IdentityConfig) -> Iterator[ScreenedRow]:
        """The candidate pairs on which some rule could fire, and every pair touching an
        entry with a generic key (the judge works those out direction by direction);
        counts the pairs of customers compared on the way (:meth:`compared`)."""
        chosen = screens(config.rules)
        used = {name for screen in chosen for name, _ in screen.when + screen.vetoes}
        bounds = feature_bounds(_D, config)
        features = ", ".join(f"{sql} AS {name}" for name, sql in bounds.items() if name in used)
        screen = screen_predicate(chosen)
        parts = max(1, -(-self._raw // self._part_size))
        db = self._db
        for part in range(parts):
            # The customers and flags ride along (they depend on the entries alone):
            # counting needs no join back to the entries.
            db.execute(
                "CREATE OR REPLACE TEMP TABLE part AS SELECT DISTINCT x.entry_no AS a, "
                "y.entry_no AS b, x.cust AS ca, y.cust AS cb, x.multi OR y.multi AS m, "
                "x.holder OR y.holder AS h FROM ab x JOIN ab y ON x.key_hash = y.key_hash "
                "AND x.entry_no < y.entry_no "
                f"WHERE x.cust <> y.cust AND x.entry_no % {parts} = {part}"
            )
            yield from self._fetch(
                f"WITH f AS (SELECT p.a, p.b, a.live AS la, b.live AS lb, {features} "
                "FROM part p JOIN entries a ON a.entry_no = p.a "
                "JOIN entries b ON b.entry_no = p.b WHERE NOT p.h) "
                f"SELECT a, b, la, lb, true, true FROM f WHERE {screen}"
            )
            if self._holders:
                yield from self._fetch(f"SELECT a, b, la, lb, fwd, bwd FROM ({_DIRECTED})")
            single = db.execute("SELECT count(*) FROM part WHERE NOT (m OR h)").fetchone()
            self._single += int(single[0]) if single else 0
            db.execute(
                "INSERT INTO counted SELECT DISTINCT least(ca, cb), greatest(ca, cb) "
                "FROM part WHERE m AND NOT h"
            )
            if self._holders:
                db.execute(
                    f"INSERT INTO counted SELECT DISTINCT least(ca, cb), greatest(ca, cb) "
                    f"FROM ({_DIRECTED})"
                )
        db.execute("DROP TABLE IF EXISTS part")

    def compared(self) -> int:
        """Pairs of customers compared (after :meth:`screened`): a pair of customers with
        one entry each is one pair of entries; only the others need a DISTINCT."""
        found = self._db.execute(
            "SELECT count(*) FROM (SELECT DISTINCT ca, cb FROM counted)"
        ).fetchone()
        return self._single + (int(found[0]) if found else 0)

    def _fetch(self, query: str) -> Iterator[ScreenedRow]:
        result = self._db.execute(query)
        while rows := result.fetchmany(50_000):
            for row in rows:
                yield _row(row)


# Pairs touching an entry that holds a generic key: whether each looks up the other
# (an entry holding one looks with fewer keys - qkeys - than it is filed under).
_DIRECTED = (
    "SELECT * FROM (SELECT h.a, h.b, h.la, h.lb, h.ca, h.cb, "
    f"NOT h.ha OR coalesce({_D.overlap('qa.keys', 'kb.keys')}, false) AS fwd, "
    f"NOT h.hb OR coalesce({_D.overlap('qb.keys', 'ka.keys')}, false) AS bwd "
    "FROM (SELECT p.a, p.b, p.ca, p.cb, a.live AS la, b.live AS lb, a.holder AS ha, "
    "b.holder AS hb "
    "FROM part p JOIN entries a ON a.entry_no = p.a JOIN entries b ON b.entry_no = p.b "
    "WHERE p.h) h "
    "JOIN ekeys ka ON ka.entry_no = h.a JOIN ekeys kb ON kb.entry_no = h.b "
    "LEFT JOIN qkeys qa ON qa.entry_no = h.a LEFT JOIN qkeys qb ON qb.entry_no = h.b) "
    "WHERE fwd OR bwd"
)


def _row(row: Any) -> ScreenedRow:
    a, b, ca, cb, fwd, bwd = row
    return int(a), int(b), str(ca), str(cb), bool(fwd), bool(bwd)
