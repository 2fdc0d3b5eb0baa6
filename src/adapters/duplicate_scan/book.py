"""The identity view read for a scan engine: its stored profiles and blocks, as stored.

Nothing is recomputed: the entries' stored profiles go to the engine as text (it parses
them into the columns its SQL compares: ``stored_profiles``) and the blocking keys come
from ``identity_blocks`` as stored. Two things are derived here, both for few entries:
which oversized blocks are an exact key's (a ``k:`` block is never too large to look
in, as in the entry check), and for an entry holding a generic key, the keys its own
look-up would use - those of its profile without the generic key, as the entry check
revises it.

Everything is read in pages and handed over page by page, so the Python side holds one
page at a time whatever the size of the book; the engine keeps the columns compactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.candidates import follow_merges
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile
from crmcore.identity.profile_codec import decode_profile
from projections.identity_index import blocks, entries, generic_keys, merges
from projections.personal import PersonalSeal

PAGE = 50_000
BLOCK_PAGE = 500_000

Page = dict[str, np.ndarray[Any, Any]]


@dataclass
class Book:
    """The whole-book facts a scan needs besides the pages: who survives whom (ids as the
    view stores them) and which keys are generic."""

    survivors: dict[str, str]
    generic: set[IdentityKey]

    @property
    def generic_labels(self) -> list[str]:
        return sorted(key.label for key in self.generic)


def read_book(connection: Connection) -> Book:
    """The merges and generic keys (small: read whole)."""
    merged = {
        UUID(c): UUID(s)
        for c, s in connection.execute(select(merges.c.customer_id, merges.c.survivor_id))
    }
    live = {str(dead): str(alive) for dead, alive in follow_merges(merged, merged).items()}
    generic = {
        IdentityKey.from_label(label)
        for label in connection.execute(select(generic_keys.c.key)).scalars()
    }
    return Book(live, generic)


def entry_pages(connection: Connection, personal: PersonalSeal) -> Iterator[Page]:
    """The entries as stored (``entry_no``, ``customer_id``, ``profile``), a page at a
    time: the engine parses the profiles (``stored_profiles``). In a book that protects
    personal data the personal halves are opened here, for the engine's memory only."""
    query = f"SELECT entry_no, customer_id, profile FROM {entries.name}"
    for rows in _pages(connection, query, PAGE):
        numbers, customers, profiles = zip(*rows, strict=True)
        if personal.protected:
            subjects = [UUID(c) for c in customers]
            personal.prefetch(set(subjects))
            profiles = tuple(map(personal.clear_profile, profiles, subjects))
        yield {
            "entry_no": np.array(numbers, dtype=np.int64),
            "customer_id": np.array(customers, dtype=object),
            "profile": np.array(profiles, dtype=object),
        }


def looking_keys(
    connection: Connection, numbers: list[int], book: Book, personal: PersonalSeal
) -> Page:
    """For the entries ``numbers`` (holding a generic key): the blocking keys the entry
    check would look up with - those of the profile without its generic keys."""
    entry_nos: list[int] = []
    hashes: list[int] = []
    block_hash = personal.block_hash
    for number, profile in profiles_of(connection, numbers, personal).items():
        looked = {block_hash(key) for key in blocking_keys(profile.without(book.generic))}
        entry_nos.extend([number] * len(looked))
        hashes.extend(looked)
    return {
        "entry_no": np.array(entry_nos, dtype=np.int64),
        "key_hash": np.array(hashes, dtype=np.int64),
    }


def generic_hashes(book: Book, personal: PersonalSeal) -> set[int]:
    """The ``k:`` blocks of generic keys: the entry check never looks in them."""
    return {personal.block_hash(f"k:{key.label}") for key in book.generic}


def exact_among(
    connection: Connection, oversized: dict[int, int], personal: PersonalSeal
) -> set[int]:
    """Which of the oversized blocks (hash -> one entry filed under it) are an exact
    key's: the entry check looks in those whatever their size. Asked of one entry's
    keys per block; a book has a handful of oversized blocks."""
    found = profiles_of(connection, sorted(set(oversized.values())), personal)
    exact = set()
    block_hash = personal.block_hash
    for value, number in oversized.items():
        profile = found.get(number)
        if profile and value in {block_hash(f"k:{key.label}") for key in profile.keys}:
            exact.add(value)
    return exact


def block_pages(connection: Connection) -> Iterator[Page]:
    """``identity_blocks`` as stored, a page of (key_hash, entry_no) at a time."""
    # Not the surname blocks: a check reads those only for a crowded typo sound, and
    # pairing every entry sharing one would add pairs no check looks at.
    query = f"SELECT key_hash, entry_no FROM {blocks.name} WHERE NOT by_surname"
    for rows in _pages(connection, query, BLOCK_PAGE):
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
        pairs = flat.reshape(-1, 2)
        yield {"key_hash": pairs[:, 0].copy(), "entry_no": pairs[:, 1].copy()}


def _pages(connection: Connection, query: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows as plain tuples, ``size`` at a time, inside the connection's
    transaction (its snapshot). Through the driver's own cursor: SQLAlchemy's row objects
    cost more than the read itself at millions of rows; on PostgreSQL a named
    (server-side) cursor, so the rows are not all fetched into memory at once."""
    connection.execute(select(1))  # begins the transaction the reads belong to
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="crm_duplicate_scan")
        cursor.itersize = size
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def profiles_of(
    connection: Connection, numbers: list[int], personal: PersonalSeal
) -> dict[int, MatchProfile]:
    """The profiles of the entries numbered ``numbers``, decoded (the pairs to judge).

    Through the driver's cursor, a statement per 900 numbers (SQLite's parameter limit)
    or one array on PostgreSQL: SQLAlchemy compiling a statement per chunk and making
    row objects cost more than the decoding."""
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    found: dict[int, MatchProfile] = {}
    columns = f"SELECT entry_no, customer_id, profile FROM {entries.name}"

    def decode(rows: list[tuple[int, str, str]]) -> None:
        if not personal.protected:
            found.update((n, decode_profile(text)) for n, _, text in rows)
            return
        subjects = [UUID(c) for _, c, _ in rows]
        personal.prefetch(set(subjects))
        profiles = personal.decode_profiles(
            [(text, subject) for (_, _, text), subject in zip(rows, subjects, strict=True)]
        )
        found.update((n, profile) for (n, _, _), profile in zip(rows, profiles, strict=True))

    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(f"{columns} WHERE entry_no = ANY(%s)", (numbers,))
            decode(cursor.fetchall())
            return found
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            cursor.execute(f"{columns} WHERE entry_no IN ({marks})", chunk)
            decode(cursor.fetchall())
    finally:
        cursor.close()
    return found
