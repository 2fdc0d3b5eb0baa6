"""The identity view's questions as SQL, in each dialect's best form, built once.

:class:`~projections.identity_queries.SqlCandidateSource` runs them on every check: a
statement is compiled once per shape (SQLite binds a list item by item, PostgreSQL as one
array), so what a check pays is the database's work, not building the query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, TextClause, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from crmcore.identity.keys import TYPO_SLOTS
from projections.identity_index import blocks, entries, generic_keys, groups, merges

_T = TypeVar("_T")


MAX_ARMS = 400  # SQLite allows 500 SELECTs in one compound statement


def chunks(items: Sequence[_T], size: int = 900) -> Iterator[list[_T]]:
    """``items`` in lists of at most ``size`` (bound parameters per statement)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@lru_cache(maxsize=512)
def _postings_query(keys: int) -> TextClause:
    """Up to ``limit`` entries under each of ``keys`` key hashes, in one statement.

    Plain SQL built once per key count: the check runs it on every record, and building
    the equivalent union of limited subqueries through the expression language cost
    more than running it. Each arm is a subquery so SQLite's compound SELECT accepts
    its own LIMIT.
    """
    arms = " UNION ALL ".join(
        f"SELECT * FROM (SELECT key_hash, entry_no FROM {blocks.name} "
        f"WHERE key_hash = :v{n} LIMIT :limit) AS a{n}"
        for n in range(keys)
    )
    return text(arms)


@lru_cache(maxsize=64)
def _ranges_query(bases: int) -> TextClause:
    """Up to ``limit`` entries under each of ``bases`` typo sounds, every province's
    block of a sound at once: its hashes lie in ``[base, base + TYPO_SLOTS - 1]`` (the
    closed bound: a base's low bits are zero, so the sum stays within 64 bits where
    ``base + TYPO_SLOTS`` could overflow a PostgreSQL ``bigint``)."""
    arms = " UNION ALL ".join(
        f"SELECT * FROM (SELECT key_hash, entry_no FROM {blocks.name} "
        f"WHERE key_hash >= :v{n} AND key_hash <= :v{n} + {TYPO_SLOTS - 1} LIMIT :limit) AS r{n}"
        for n in range(bases)
    )
    return text(arms)


_ARRAY_RANGES = text(
    f"SELECT b.key_hash, b.entry_no FROM unnest(CAST(:values AS bigint[])) AS k(h) "
    f"CROSS JOIN LATERAL (SELECT key_hash, entry_no FROM {blocks.name} "
    f"WHERE key_hash >= k.h AND key_hash <= k.h + {TYPO_SLOTS - 1} LIMIT :limit) AS b"
)


# PostgreSQL takes the key hashes as one array: one statement text whatever their
# number, so the server plans it once (prepared) instead of a new union of up to 400
# arms per batch, and the driver does not re-parse a long query each time.
_ARRAY_POSTINGS = text(
    f"SELECT k.h, b.entry_no FROM unnest(CAST(:values AS bigint[])) AS k(h) "
    f"CROSS JOIN LATERAL (SELECT entry_no FROM {blocks.name} "
    "WHERE key_hash = k.h LIMIT :limit) AS b"
)


@dataclass(frozen=True)
class Statements:
    """The questions' statements in the dialect's best form, built once.

    SQLite binds a list as one parameter per item (``IN (?, ?, …)``, a statement per
    length, at most 900 or 400 arms each); PostgreSQL binds it as an array
    (``= ANY(%s)``): one statement, planned once, any length.
    """

    arrays: bool
    with_keys: bool
    chunk: int
    arms: int
    merged: Executable
    generic: Executable
    groups_of: Executable
    entries_by_number: Executable

    def postings(
        self, connection: Connection, hashes: list[int], limit: int
    ) -> Iterable[tuple[int, int]]:
        """(key hash, entry number) rows, up to ``limit`` under each of ``hashes``."""
        return self._limited(connection, _ARRAY_POSTINGS, _postings_query, hashes, limit)

    def ranges(
        self, connection: Connection, bases: list[int], limit: int
    ) -> Iterable[tuple[int, int]]:
        """(key hash, entry number) rows, up to ``limit`` under each typo sound whose
        blocks start at one of ``bases`` (:meth:`KeyIds.typo_block_base`)."""
        return self._limited(connection, _ARRAY_RANGES, _ranges_query, bases, limit)

    def _limited(
        self,
        connection: Connection,
        array_query: TextClause,
        union_of: Callable[[int], TextClause],
        values: list[int],
        limit: int,
    ) -> Iterable[tuple[int, int]]:
        """A limited look-up per value: PostgreSQL's one array statement, or SQLite's
        union of one arm per value (each bound as ``:v<n>``)."""
        if self.arrays:
            rows = connection.execute(array_query, {"values": values, "limit": limit})
        else:
            params = {f"v{n}": value for n, value in enumerate(values)}
            rows = connection.execute(union_of(len(values)), {**params, "limit": limit})
        return rows.tuples()


@lru_cache(maxsize=4)
def statements(arrays: bool, key_table: str | None = None) -> Statements:
    """``key_table``: the data keys' table to join to the entries (same database)."""
    def member(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
        if arrays:
            return column == any_(bindparam(name, type_=ARRAY(column.type)))
        return column.in_(bindparam(name, expanding=True))

    numbers = "= ANY(CAST(:numbers AS integer[]))" if arrays else "IN :numbers"
    # A key row is found by its subject's hex: the expression depends on the entry
    # alone, so each entry's key is one primary-key lookup.
    keys, join = (
        (", k.subject_id AS key_subject, k.master_key_id, k.wrapped",
         f" LEFT JOIN {key_table} k ON k.subject_id = replace(e.customer_id, '-', '')")
        if key_table
        else ("", "")
    )
    entries_by_number = text(
        f"SELECT e.entry_no, e.entry_id, e.customer_id, e.profile, m.survivor_id{keys} "
        f"FROM {entries.name} e LEFT JOIN {merges.name} m ON m.customer_id = e.customer_id"
        f"{join} WHERE e.entry_no {numbers}"
    )
    if not arrays:
        entries_by_number = entries_by_number.bindparams(bindparam("numbers", expanding=True))
    return Statements(
        arrays=arrays,
        with_keys=key_table is not None,
        chunk=10_000 if arrays else 900,
        arms=10_000 if arrays else MAX_ARMS,
        merged=select(merges.c.customer_id, merges.c.survivor_id).where(
            member(merges.c.customer_id, "ids")
        ),
        generic=select(generic_keys.c.key).where(member(generic_keys.c.key, "keys")),
        groups_of=select(groups.c.customer_id, groups.c.group_id).where(
            member(groups.c.customer_id, "ids")
        ),
        entries_by_number=entries_by_number,
    )


# The other questions, built once for the same reason.
ENTRIES_OF = (
    select(entries.c.entry_id, entries.c.profile)
    .where(entries.c.customer_id == bindparam("id"))
    .order_by(entries.c.entry_no)
)
MERGED_FROM = (
    select(merges.c.customer_id)
    .where(merges.c.survivor_id == bindparam("id"))
    .order_by(merges.c.customer_id)
)
OWN_PROFILE = select(entries.c.profile, entries.c.customer_id).where(
    entries.c.entry_id == bindparam("id")
)


@lru_cache(maxsize=512)
def grouped_query(brands: int) -> TextClause:
    """Grouped customers whose core lies in any of ``brands`` prefix ranges."""
    ranges = " OR ".join(f"(core >= :l{n} AND core < :h{n})" for n in range(brands))
    return text(f"SELECT customer_id, core FROM {groups.name} WHERE {ranges}")


def whole_block(connection: Connection, value: int) -> list[int]:
    """Every entry under an exact key (rarely more than a few; never skipped)."""
    query = select(blocks.c.entry_no).where(blocks.c.key_hash == value)
    return list(connection.execute(query).scalars())
