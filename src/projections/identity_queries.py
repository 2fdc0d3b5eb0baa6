"""The identity check's questions, answered from the identity view's tables.

:class:`SqlCandidateSource` is the :class:`~crmcore.identity.candidates.CandidateSource`
of an application on SQLite or PostgreSQL: ``catch_up`` runs the projection runner for
the identity view alone, and each question is one or two indexed queries whose cost
depends on the record asked about, not on the size of the book.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from uuid import UUID

from eventsourcing.application import Application
from sqlalchemy import select, union_all
from sqlalchemy.engine import Connection, Engine

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.candidates import IndexContents, IndexEntry
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile
from crmcore.identity.profile_codec import decode_profile
from projections.identity_index import (
    IDENTITY_VIEW,
    blocks,
    entries,
    generic_keys,
    groups,
    key_hash,
    merges,
)
from projections.runner import ProjectionRunner

# Above this code point no character sorts: ``brand + _LAST`` bounds a prefix range.
_LAST = "\U0010ffff"


class SqlCandidateSource:
    """Candidates, survivors, generic keys and groups from the persisted identity view."""

    def __init__(
        self, app: Application[UUID], engine: Engine, max_block_size: int, *, dispose: bool
    ) -> None:
        self._runner = ProjectionRunner(app, engine, (IDENTITY_VIEW,))
        self._engine = engine
        self._max_block_size = max_block_size
        self._dispose = dispose
        self._generic: frozenset[str] | None = None

    @property
    def position(self) -> int | None:
        return self._runner.position(IDENTITY_VIEW.name)

    def catch_up(self) -> int:
        read = self._runner.catch_up()
        if read:
            self._generic = None  # a key may have been declared generic meanwhile
        return read

    def close(self) -> None:
        if self._dispose:
            self._engine.dispose()

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        keys = set(blocking_keys(profile))
        if not keys:
            return []
        limit = self._max_block_size + 1
        hashed = {key_hash(key): key for key in keys}
        arms = [
            select(blocks.c.key_hash, blocks.c.entry_no)
            .where(blocks.c.key_hash == value)
            .limit(limit)
            .subquery()
            for value in hashed
        ]
        query = union_all(*(select(arm.c.key_hash, arm.c.entry_no) for arm in arms))
        with self._engine.connect() as connection:
            postings: dict[int, list[int]] = {}
            for value, number in connection.execute(query):
                postings.setdefault(value, []).append(number)
            numbers: dict[int, None] = {}
            for value, found in postings.items():
                # A key shared by too many entries says nothing (like a stop word);
                # exact keys are never skipped.
                if len(found) < limit or hashed[value].startswith("k:"):
                    if len(found) >= limit:
                        found = _whole_block(connection, value)
                    numbers.update(dict.fromkeys(found))
            if not numbers:
                return []
            rows = connection.execute(
                select(entries).where(entries.c.entry_no.in_(list(numbers)))
            ).all()
        by_number = {row.entry_no: row for row in rows}
        return [
            IndexEntry(UUID(row.entry_id), UUID(row.customer_id), decode_profile(row.profile))
            for number in numbers
            if (row := by_number.get(number)) is not None
        ]

    def survivors(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        step: dict[str, str | None] = {}
        pending = {str(c) for c in customer_ids}
        with self._engine.connect() as connection:
            while pending:
                query = select(merges.c.customer_id, merges.c.survivor_id).where(
                    merges.c.customer_id.in_(sorted(pending))
                )
                found = dict(connection.execute(query).tuples().all())
                step.update((c, found.get(c)) for c in pending)
                pending = {s for s in found.values() if s not in step}
        survivors = {}
        for customer_id in customer_ids:
            current, seen = str(customer_id), {str(customer_id)}
            while (next_id := step.get(current)) is not None and next_id not in seen:
                seen.add(next_id)
                current = next_id
            if current != str(customer_id):
                survivors[customer_id] = UUID(current)
        return survivors

    def own_profile(self, customer_id: UUID) -> MatchProfile | None:
        with self._engine.connect() as connection:
            found = connection.execute(
                select(entries.c.profile).where(entries.c.entry_id == str(customer_id))
            ).scalar()
        return decode_profile(found) if found is not None else None

    def generic_among(self, keys: Collection[IdentityKey]) -> set[IdentityKey]:
        if self._generic is None:  # a handful of rows; read once per change
            with self._engine.connect() as connection:
                rows = connection.execute(select(generic_keys.c.key)).scalars()
                self._generic = frozenset(rows)
        return {key for key in keys if key.label in self._generic} if self._generic else set()

    def groups_of(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        if not customer_ids:
            return {}
        query = select(groups.c.customer_id, groups.c.group_id).where(
            groups.c.customer_id.in_(sorted(str(c) for c in customer_ids))
        )
        with self._engine.connect() as connection:
            return {UUID(c): UUID(g) for c, g in connection.execute(query).tuples()}

    def grouped_under(self, brand: str) -> set[UUID]:
        query = select(groups.c.customer_id).where(
            groups.c.core >= brand, groups.c.core < brand + _LAST
        )
        with self._engine.connect() as connection:
            return {UUID(c) for c in connection.execute(query).scalars()}

    def contents(self) -> IndexContents:
        with self._engine.connect() as connection:
            merged = {
                UUID(c): UUID(s)
                for c, s in connection.execute(select(merges.c.customer_id, merges.c.survivor_id))
            }
            generic = {
                IdentityKey.from_label(k)
                for k in connection.execute(select(generic_keys.c.key)).scalars()
            }
            grouped = {
                UUID(c): (UUID(g), core)
                for c, g, core in connection.execute(
                    select(groups.c.customer_id, groups.c.group_id, groups.c.core)
                )
            }
        return IndexContents(self._entries(), merged, generic, grouped)

    def _entries(self) -> Iterator[IndexEntry]:
        """Every entry in filing order, read in pages (a million do not fit one fetch)."""
        after = 0
        while True:
            with self._engine.connect() as connection:
                rows = connection.execute(
                    select(entries)
                    .where(entries.c.entry_no > after)
                    .order_by(entries.c.entry_no)
                    .limit(10_000)
                ).all()
            if not rows:
                return
            for row in rows:
                yield IndexEntry(
                    UUID(row.entry_id), UUID(row.customer_id), decode_profile(row.profile)
                )
            after = rows[-1].entry_no


def _whole_block(connection: Connection, value: int) -> list[int]:
    """Every entry under an exact key (rarely more than a few; never skipped)."""
    query = select(blocks.c.entry_no).where(blocks.c.key_hash == value)
    return list(connection.execute(query).scalars())
