"""The candidate index held in memory: for an application on the in-memory store.

It folds the log with :func:`~crmcore.identity.filing.file_event`, the function the
persisted identity view's handlers call, so both answer a check the same way. A
process on SQLite or PostgreSQL uses the persisted view instead (wired by the
composition root, :mod:`adapters.bootstrap`): folding a million customers into memory
at every start costs minutes. The duplicate scan loads the persisted view's stored
profiles into one of these for its whole-book pass (:meth:`MemoryIndex.loaded`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Recording

from crmcore.event_log import follow
from crmcore.identity.blocking import TYPO_BLOCK_SIZE
from crmcore.identity.candidates import (
    CandidateIndex,
    IndexContents,
    IndexEntry,
    follow_merges,
    group_brand,
    standing_for,
)
from crmcore.identity.filing import FILED_TOPICS, file_event
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile


class MemoryIndex:
    """An :class:`~crmcore.identity.filing.IndexStore` and a
    :class:`~crmcore.identity.candidates.CandidateSource` in one, over dictionaries."""

    def __init__(
        self,
        max_block_size: int,
        brand_chars: int,
        app: Application[UUID] | None = None,
        *,
        typo_block_size: int = TYPO_BLOCK_SIZE,
    ) -> None:
        self.index = CandidateIndex(max_block_size, typo_block_size)
        self._app = app
        self._position: int | None = None
        self._brand_chars = brand_chars
        self._merged_into: dict[UUID, UUID] = {}
        self._merged_from: dict[UUID, set[UUID]] = {}
        self._generic: set[IdentityKey] = set()
        self._groups: dict[UUID, tuple[UUID, str | None]] = {}
        self._by_brand: dict[str, set[UUID]] = {}

    @classmethod
    def loaded(
        cls,
        contents: IndexContents,
        max_block_size: int,
        brand_chars: int,
        typo_block_size: int = TYPO_BLOCK_SIZE,
    ) -> MemoryIndex:
        """An index holding what another source holds (not following any log)."""
        index = cls(max_block_size, brand_chars, typo_block_size=typo_block_size)
        for entry in contents.entries:
            index.put(entry, new=True)
        for tombstone, survivor in contents.merged_into.items():
            index.set_merged_into(tombstone, survivor)
        index._generic.update(contents.generic)
        for customer_id, (group_id, core) in contents.groups.items():
            index.join_group(customer_id, group_id, core)
        return index

    # -- following the log (CandidateSource) ----------------------------------------

    @property
    def position(self) -> int | None:
        return self._position

    def catch_up(self) -> int:
        if self._app is None:
            return 0
        self._position, count = follow(
            self._app, FILED_TOPICS, self._position, lambda event: file_event(self, event)
        )
        return count

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Nothing: the index files new events at its next catch-up, which on the
        in-memory store it serves costs no query."""

    def close(self) -> None:
        """Nothing to release: the index lives and dies with the process."""

    # -- answering a check (CandidateSource) ----------------------------------------

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        return self.index.candidates(profile)

    def prepare(self, profiles: Sequence[MatchProfile], brands: Collection[str] = ()) -> None:
        """Nothing to fetch: every answer is a dictionary look-up."""

    def release(self) -> None:
        """Nothing kept per batch."""

    def survivors(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        return follow_merges(customer_ids, self._merged_into)

    def own_profile(self, customer_id: UUID) -> MatchProfile | None:
        for entry in self.index.entries_of(customer_id):
            if entry.entry_id == customer_id:
                return entry.profile
        return None

    def generic_among(self, keys: Collection[IdentityKey]) -> set[IdentityKey]:
        return self._generic.intersection(keys) if self._generic else set()

    def groups_of(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        return {c: self._groups[c][0] for c in customer_ids if c in self._groups}

    def grouped_under(self, brand: str) -> set[UUID]:
        return set(self._by_brand.get(brand, ()))

    def contents(self) -> IndexContents:
        return IndexContents(
            iter(self.index.entries()),
            dict(self._merged_into),
            set(self._generic),
            dict(self._groups),
        )

    def entries_for(self, customer_id: UUID) -> list[IndexEntry]:
        return standing_for(customer_id, self.index.entries_of, self.merged_from)

    # -- being filed (IndexStore) ---------------------------------------------------

    def put(self, entry: IndexEntry, *, new: bool = False) -> None:
        self.index.put(entry.entry_id, entry.customer_id, entry.profile)

    def entries_of(self, customer_id: UUID) -> list[IndexEntry]:
        return self.index.entries_of(customer_id)

    def merged_into(self, customer_id: UUID) -> UUID | None:
        return self._merged_into.get(customer_id)

    def set_merged_into(self, customer_id: UUID, survivor_id: UUID | None) -> None:
        old = self._merged_into.pop(customer_id, None)
        if old is not None:
            self._merged_from[old].discard(customer_id)
        if survivor_id is not None:
            self._merged_into[customer_id] = survivor_id
            self._merged_from.setdefault(survivor_id, set()).add(customer_id)

    def merged_from(self, survivor_id: UUID) -> list[UUID]:
        return sorted(self._merged_from.get(survivor_id, ()), key=str)

    def add_generic(self, key: IdentityKey) -> None:
        self._generic.add(key)

    def join_group(self, customer_id: UUID, group_id: UUID, core: str | None) -> None:
        self.leave_group(customer_id)
        self._groups[customer_id] = (group_id, core)
        brand = group_brand(core, self._brand_chars)
        if brand is not None:
            self._by_brand.setdefault(brand, set()).add(customer_id)

    def leave_group(self, customer_id: UUID) -> None:
        found = self._groups.pop(customer_id, None)
        brand = group_brand(found[1], self._brand_chars) if found else None
        if brand is not None:
            holders = self._by_brand[brand]
            holders.discard(customer_id)
            if not holders:
                del self._by_brand[brand]

    def rename_grouped(self, customer_id: UUID, core: str | None) -> None:
        found = self._groups.get(customer_id)
        if found is not None:
            self.join_group(customer_id, found[0], core)
