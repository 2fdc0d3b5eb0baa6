"""The scan on DuckDB: the blocking self-join and the screens, in one embedded process.

DuckDB runs the joins vectorised on every core, spilling to a temporary directory past
its memory limit (``memory_limit``: the scan's 2 GiB budget at a million customers is
the whole process's). The identity view is fed in pages from Python - DuckDB's SQLite
and PostgreSQL scanners are extensions downloaded at run time, which a production host
may not allow - and the few lists the SQL needs are built inside DuckDB.

Candidate pairs are generated once each: a pair sharing several blocks is kept only
under the smallest block key the two share (no DISTINCT over tens of millions of rows).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from adapters.duplicate_scan.book import Page
from adapters.duplicate_scan.pair_sql import feature_bounds, screen_predicate
from crmcore.config import IdentityConfig
from crmcore.identity.pair_screen import screens

ScreenedRow = tuple[int, int, int, int, bool, bool]
"""(entry a, entry b, customer a, customer b, forward, backward)"""


class DuckDbDialect:
    def any_of(self, items: str, name: str, predicate: str) -> str:
        return f"list_bool_or(list_transform({items}, lambda {name}: {predicate}))"

    def overlap(self, one: str, other: str) -> str:
        return f"list_has_any({one}, {other})"

    def below(self, items: str, bound: str) -> str:
        return f"list_filter({items}, lambda k: k < {bound})"

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
    entry_no BIGINT, cust INTEGER, holder BOOLEAN, core VARCHAR, sound VARCHAR,
    words VARCHAR[], brand VARCHAR, trade VARCHAR, branch VARCHAR, latin BOOLEAN,
    c_script VARCHAR, c_sound VARCHAR, c_surname VARCHAR, c_partial BOOLEAN, c_codes VARCHAR,
    region VARCHAR, phones VARCHAR[], has_emails BOOLEAN, emails VARCHAR[], labels VARCHAR[])"""
# The page's list columns arrive as text (numpy has no list type): cut once, here, not
# once per pair. Words only for Latin names (the only ones compared word by word).
_LISTS = {
    "words": "CASE WHEN latin THEN string_split(sound, chr(31)) END",
    "phones": "string_split(phones, chr(30))",
    "emails": "string_split(emails, chr(30))",
    "labels": "string_split(labels, chr(30))",
}


class DuckDbEngine:
    """One scan's DuckDB database (in memory, spilling to its own temporary folder)."""

    name = "duckdb"

    def __init__(self, memory_limit: str = "1GB", threads: int | None = None) -> None:
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

    def _append(self, table: str, page: Page, lists: dict[str, str] | None = None) -> None:
        if not len(next(iter(page.values()))):
            return
        self._db.register("page", page)
        try:
            names = list(page) + [name for name in lists or {} if name not in page]
            values = ", ".join((lists or {}).get(name, name) for name in names)
            self._db.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {values} FROM page")
        finally:
            self._db.unregister("page")

    def add_entries(self, columns: Page, revised: Page) -> None:
        self._append("entries", columns, _LISTS)
        self._append("revised", revised)

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
        """Every candidate pair of entries of two different customers, once; returns how
        many. ``refused``: blocks the entry check never looks in."""
        db = self._db
        db.execute("CREATE TABLE refused (key_hash BIGINT)")
        if refused:
            db.executemany("INSERT INTO refused VALUES (?)", [[value] for value in refused])
        db.execute(
            "CREATE TABLE multi AS SELECT cust FROM entries GROUP BY cust HAVING count(*) > 1"
        )
        db.execute(
            "CREATE TABLE ab AS SELECT b.key_hash, b.entry_no, e.cust, e.holder, "
            "e.cust IN (SELECT cust FROM multi) AS multi "
            "FROM blocks b JOIN entries e USING (entry_no) "
            "WHERE b.key_hash IN (SELECT key_hash FROM sizes) "
            "AND b.key_hash NOT IN (SELECT key_hash FROM refused)"
        )
        db.execute("DROP TABLE blocks")
        db.execute(
            "CREATE TABLE ekeys AS SELECT entry_no, list(key_hash ORDER BY key_hash) AS keys "
            "FROM ab GROUP BY entry_no"
        )
        db.execute(
            "CREATE TABLE qkeys AS SELECT entry_no, list(key_hash ORDER BY key_hash) AS keys "
            "FROM revised WHERE key_hash IN (SELECT key_hash FROM ab) GROUP BY entry_no"
        )
        dialect = DuckDbDialect()
        earlier = dialect.below("ka.keys", "x.key_hash")
        db.execute(
            "CREATE TABLE pairs AS "
            "SELECT x.entry_no AS a, y.entry_no AS b, x.cust AS ca, y.cust AS cb, "
            "x.multi OR y.multi AS multi, "
            # An entry holding a generic key looks with fewer keys (qkeys) than it is
            # filed under: whether it finds the other is asked of those.
            f"NOT x.holder OR coalesce({dialect.overlap('qa.keys', 'kb.keys')}, false) AS fwd, "
            f"NOT y.holder OR coalesce({dialect.overlap('qb.keys', 'ka.keys')}, false) AS bwd, "
            "x.holder OR y.holder AS directed "
            "FROM ab x JOIN ab y ON x.key_hash = y.key_hash AND x.entry_no < y.entry_no "
            "JOIN ekeys ka ON ka.entry_no = x.entry_no "
            "JOIN ekeys kb ON kb.entry_no = y.entry_no "
            "LEFT JOIN qkeys qa ON qa.entry_no = x.entry_no "
            "LEFT JOIN qkeys qb ON qb.entry_no = y.entry_no "
            f"WHERE x.cust <> y.cust AND NOT {dialect.overlap(earlier, 'kb.keys')}"
        )
        db.execute("DROP TABLE ab")
        db.execute("DELETE FROM pairs WHERE NOT (fwd OR bwd)")
        found = db.execute("SELECT count(*) FROM pairs").fetchone()
        return int(found[0]) if found else 0

    def compared(self) -> int:
        """Distinct pairs of customers among the candidate pairs (a pair of customers with
        one entry each is one pair of entries; only the others need a DISTINCT)."""
        found = self._db.execute(
            "SELECT (SELECT count(*) FROM pairs WHERE NOT multi) + "
            "(SELECT count(*) FROM (SELECT DISTINCT least(ca, cb), greatest(ca, cb) "
            "FROM pairs WHERE multi))"
        ).fetchone()
        return int(found[0]) if found else 0

    def screened(self, config: IdentityConfig) -> Iterator[ScreenedRow]:
        """The pairs on which some rule could fire (all pairs touching an entry with a
        generic key: the judge works those out direction by direction)."""
        bounds = feature_bounds(DuckDbDialect(), config)
        features = ", ".join(f"{sql} AS {name}" for name, sql in bounds.items())
        query = (
            "WITH f AS (SELECT p.a, p.b, p.ca, p.cb, p.fwd, p.bwd, p.directed, "
            f"{features} FROM pairs p JOIN entries a ON a.entry_no = p.a "
            "JOIN entries b ON b.entry_no = p.b) "
            "SELECT a, b, ca, cb, fwd, bwd FROM f "
            f"WHERE directed OR {screen_predicate(screens(config.rules))}"
        )
        result = self._db.execute(query)
        while rows := result.fetchmany(50_000):
            for row in rows:
                yield _row(row)


def _row(row: Any) -> ScreenedRow:
    a, b, ca, cb, fwd, bwd = row
    return int(a), int(b), int(ca), int(cb), bool(fwd), bool(bwd)
