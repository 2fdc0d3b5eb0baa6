"""The identity view read as columns: what a scan engine joins and screens.

Nothing is recomputed: the entries' stored profiles are decoded (the view stores them
as filed) and split into the columns the engine's SQL compares; the blocking keys come
from ``identity_blocks`` as stored. Two things are derived here, both for few entries:
which oversized blocks are an exact key's (a ``k:`` block is never too large to look
in, as in the entry check), and for an entry holding a generic key, the keys its own
look-up would use - those of its profile without the generic key, as the entry check
revises it.

Everything is read in pages and handed over page by page, so the Python side holds one
page at a time whatever the size of the book; the engine keeps the columns compactly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.candidates import follow_merges
from crmcore.identity.company import brand_and_trade
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import EmailParts, MatchProfile
from crmcore.identity.profile_codec import StoredParts, decode_parts, decode_profile
from projections.identity_index import blocks, entries, generic_keys, key_hash, merges

PAGE = 50_000
BLOCK_PAGE = 500_000
# Separators inside one column's text: never in a normalised phone or e-mail.
LIST_SEPARATOR = "\x1e"
FIELD_SEPARATOR = "\x1f"

Page = dict[str, np.ndarray[Any, Any]]


@dataclass
class Book:
    """The whole-book facts a scan needs besides the pages: who survives whom, which
    keys are generic, and the dense number of each live customer."""

    survivors: dict[str, str]  # ids as the view stores them: parsed only for the pairs found
    generic: set[IdentityKey]
    customers: list[str]
    numbers: dict[str, int]
    entries: int = 0
    _uuids: dict[int, UUID] = field(default_factory=dict)

    def customer_number(self, customer_id: str) -> int:
        live = self.survivors.get(customer_id, customer_id)
        number = self.numbers.get(live)
        if number is None:
            number = self.numbers[live] = len(self.customers)
            self.customers.append(live)
        return number

    def customer(self, number: int) -> UUID:
        found = self._uuids.get(number)
        if found is None:
            found = self._uuids[number] = UUID(self.customers[number])
        return found


def read_book(connection: Connection) -> Book:
    """The merges and generic keys (small: read whole)."""
    merged = {
        UUID(c): UUID(s)
        for c, s in connection.execute(select(merges.c.customer_id, merges.c.survivor_id))
    }
    live = {
        str(tombstone): str(survivor)
        for tombstone, survivor in follow_merges(merged, merged).items()
    }
    generic = {
        IdentityKey.from_label(label)
        for label in connection.execute(select(generic_keys.c.key)).scalars()
    }
    return Book(live, generic, [], {})


class _Shared:
    """One string object per distinct value of a low-cardinality column (regions, trades,
    surnames): a million entries name a few hundred."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._seen.setdefault(value, sys.intern(value))


_ENTRY_COLUMNS = (
    "entry_no",
    "cust",
    "holder",
    "core",
    "sound",
    "brand",
    "trade",
    "branch",
    "latin",
    "c_script",
    "c_sound",
    "c_surname",
    "c_partial",
    "c_codes",
    "region",
    "phones",
    "has_emails",
    "emails",
    "labels",
)


def entry_pages(connection: Connection, book: Book) -> Iterator[tuple[Page, Page]]:
    """Per page of entries: their columns, and the look-up keys of those holding a
    generic key (``entry_no``, ``key_hash``)."""
    shared = _Shared()
    generic = {key.label for key in book.generic}
    query = f"SELECT entry_no, customer_id, profile FROM {entries.name}"
    for rows in _pages(connection, query, PAGE):
        columns: dict[str, list[Any]] = {name: [] for name in _ENTRY_COLUMNS}
        revised_entries: list[int] = []
        revised_hashes: list[int] = []
        for entry_no, customer_id, text in rows:
            parts = decode_parts(text)
            holder = bool(generic) and any(label in generic for label in parts.keys)
            _add_entry(columns, shared, parts)
            columns["entry_no"].append(entry_no)
            columns["cust"].append(book.customer_number(customer_id))
            columns["holder"].append(holder)
            labels = [label for label in parts.keys if label not in generic]
            columns["labels"].append(LIST_SEPARATOR.join(labels) or None)
            if holder:
                looking = _looking(decode_profile(text), book.generic)
                hashes = {key_hash(key) for key in blocking_keys(looking)}
                revised_entries.extend([entry_no] * len(hashes))
                revised_hashes.extend(hashes)
        book.entries += len(rows)
        yield (
            {name: _array(values) for name, values in columns.items()},
            {
                "entry_no": np.array(revised_entries, dtype=np.int64),
                "key_hash": np.array(revised_hashes, dtype=np.int64),
            },
        )


def _looking(profile: MatchProfile, generic: set[IdentityKey]) -> MatchProfile:
    return profile.revised(keys=[key for key in profile.keys if key not in generic])


def generic_hashes(book: Book) -> set[int]:
    """The ``k:`` blocks of generic keys: the entry check never looks in them."""
    return {key_hash(f"k:{key.label}") for key in book.generic}


def exact_among(connection: Connection, oversized: dict[int, int]) -> set[int]:
    """Which of the oversized blocks (hash -> one entry filed under it) are an exact
    key's: the entry check looks in those whatever their size. Asked of one entry's
    keys per block; a book has a handful of oversized blocks."""
    found = profiles_of(connection, sorted(set(oversized.values())))
    exact = set()
    for value, number in oversized.items():
        profile = found.get(number)
        if profile and value in {key_hash(f"k:{key.label}") for key in profile.keys}:
            exact.add(value)
    return exact


def _add_entry(columns: dict[str, list[Any]], shared: _Shared, parts: StoredParts) -> None:
    """The entry's columns, from its stored parts (``profile_codec.StoredParts``), as the
    comparison reads the same values from a decoded profile."""
    company, contact = parts.company, parts.contact
    if company is not None:
        _raw, core, syllables, _region, _form, branch, trade = company
        brand, trade = brand_and_trade(core, trade)
        columns["core"].append(core)
        columns["sound"].append(FIELD_SEPARATOR.join(syllables))
        columns["brand"].append(brand)
        columns["trade"].append(shared(trade))
        columns["branch"].append(shared(branch))
        columns["latin"].append(core.isascii())
    else:
        for name in ("core", "sound", "brand", "trade", "branch"):
            columns[name].append(None)
        columns["latin"].append(False)
    if contact is not None:
        _raw, script, surname, given, syllables, codes = contact
        columns["c_script"].append(shared(script))
        columns["c_sound"].append("".join(syllables))  # PersonName.phonetic
        columns["c_surname"].append(shared(surname))
        columns["c_partial"].append(given is None)
        columns["c_codes"].append(FIELD_SEPARATOR.join(codes))
    else:
        for name in ("c_script", "c_sound", "c_surname", "c_codes"):
            columns[name].append(None)
        columns["c_partial"].append(False)
    columns["region"].append(shared(parts.region))
    columns["phones"].append(LIST_SEPARATOR.join(parts.phones) or None)
    columns["has_emails"].append(bool(parts.emails))
    personal = [
        FIELD_SEPARATOR.join((email.local, email.domain_label, email.domain))
        for email in (EmailParts(local, domain) for local, domain in parts.emails)
        if not email.is_role_mailbox
    ]
    columns["emails"].append(LIST_SEPARATOR.join(personal) or None)


def _array(values: list[Any]) -> np.ndarray[Any, Any]:
    if values and isinstance(values[0], bool):
        return np.array(values, dtype=np.bool_)
    if values and isinstance(values[0], int):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)


def block_pages(connection: Connection) -> Iterator[Page]:
    """``identity_blocks`` as stored, a page of (key_hash, entry_no) at a time."""
    query = f"SELECT key_hash, entry_no FROM {blocks.name}"
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


def profiles_of(connection: Connection, numbers: list[int]) -> dict[int, MatchProfile]:
    """The profiles of the entries numbered ``numbers``, decoded (the pairs to judge).

    Through the driver's cursor, a statement per 900 numbers (SQLite's parameter limit)
    or one array on PostgreSQL: SQLAlchemy compiling a statement per chunk and making
    row objects cost more than the decoding."""
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    found: dict[int, MatchProfile] = {}
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(
                f"SELECT entry_no, profile FROM {entries.name} WHERE entry_no = ANY(%s)",
                (numbers,),
            )
            found.update((n, decode_profile(text)) for n, text in cursor.fetchall())
            return found
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            cursor.execute(
                f"SELECT entry_no, profile FROM {entries.name} WHERE entry_no IN ({marks})",
                chunk,
            )
            found.update((n, decode_profile(text)) for n, text in cursor.fetchall())
    finally:
        cursor.close()
    return found
