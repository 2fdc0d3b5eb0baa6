"""Stage 3, candidates: blocking key -> the profiles filed under it, and how checks ask.

The index is a read model of the event log (a customer's own profile, plus alias
profiles of records merged into it or refused as its duplicates); :mod:`filing` says
what each event files. A check asks a :class:`CandidateSource` narrow questions -
"entries sharing a blocking key with this profile", "whom do these tombstones stand
for" - and two sources answer them: :class:`CandidateIndex` inside a
:class:`~crmcore.identity.memory_index.MemoryIndex` (an application on the in-memory
store), and the persisted identity view (:mod:`projections.identity_index`), which a
command catches up instead of folding the whole log.

Entries are addressed by an entry id - the customer id for a customer's own profile,
the attempt id for an alias - so filing the same entry again replaces it.

Memory matters at a million customers: keys are stored as their hash (a collision only
adds a candidate that the comparison then rejects), a key with a single entry maps to
that entry's number rather than to a list, a customer with one entry likewise, and an
entry's blocking keys are recomputed when it is replaced (rare) instead of being kept.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import Recording

from crmcore.identity.blocking import TYPO_BLOCK_SIZE, blocking_keys, blocks_of, crowded
from crmcore.identity.company import HAN_CHARACTER
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile

_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    entry_id: UUID
    customer_id: UUID
    profile: MatchProfile


@dataclass
class IndexContents:
    """Everything a source holds, for a whole-book pass (the duplicate scan)."""

    entries: Iterator[IndexEntry]
    merged_into: dict[UUID, UUID] = field(default_factory=dict)
    generic: set[IdentityKey] = field(default_factory=set)
    groups: dict[UUID, tuple[UUID, str | None]] = field(default_factory=dict)


class CandidateSource(Protocol):
    """The questions the identity check asks of the candidate index.

    ``catch_up`` brings the index to the head of the log; every other answer is as of
    the last catch-up. Exact keys never rest on these answers alone: the key-index
    aggregates decide them race-free.
    """

    @property
    def position(self) -> int | None:
        """The last notification id the index has read (None: nothing yet)."""

    def catch_up(self) -> int:
        """Reads what was recorded since the last catch-up; returns how many events."""

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Files events this process has just saved, if the source can without reading
        them back (they follow its position with nothing between); else catch-up will."""

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        """Entries sharing a blocking key with ``profile``; oversized blocks skipped."""

    def prepare(self, profiles: Sequence[MatchProfile], brands: Collection[str] = ()) -> None:
        """Says which records (and group brands) a batch will check, so a source may
        fetch their answers together; answers may then be kept until :meth:`release`
        or ``catch_up``."""

    def release(self) -> None:
        """The batch is over: forget what was kept for it."""

    def survivors(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        """For each merged customer among ``customer_ids``: the live one it stands for."""

    def own_profile(self, customer_id: UUID) -> MatchProfile | None: ...

    def generic_among(self, keys: Collection[IdentityKey]) -> set[IdentityKey]:
        """The keys of ``keys`` declared generic."""

    def groups_of(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        """Customer -> group, for those of ``customer_ids`` in a group."""

    def grouped_under(self, brand: str) -> set[UUID]:
        """Grouped customers whose company core starts with ``brand``."""

    def contents(self) -> IndexContents:
        """Everything held, entries streamed."""

    def entries_for(self, customer_id: UUID) -> list[IndexEntry]:
        """Every entry standing for the customer: its own, its aliases, and those of
        each customer merged into it through any chain of merges."""

    def close(self) -> None: ...


def follow_merges(
    customer_ids: Iterable[UUID], merged_into: Mapping[UUID, UUID | None]
) -> dict[UUID, UUID]:
    """For each merged customer among ``customer_ids``: the live one at the end of its
    chain of merges (``merged_into`` maps a tombstone to what it was merged into)."""
    survivors = {}
    for customer_id in customer_ids:
        current, seen = customer_id, {customer_id}
        while (next_id := merged_into.get(current)) is not None and next_id not in seen:
            seen.add(next_id)
            current = next_id
        if current != customer_id:
            survivors[customer_id] = current
    return survivors


def standing_for(
    customer_id: UUID,
    entries_of: Callable[[UUID], Iterable[IndexEntry]],
    merged_from: Callable[[UUID], Iterable[UUID]],
) -> list[IndexEntry]:
    """The entries filed for ``customer_id`` and for every tombstone merged into it,
    through any chain (``merged_from`` gives the tombstones one step back)."""
    found: list[IndexEntry] = []
    queue, seen = [customer_id], {customer_id}
    while queue:
        current = queue.pop()
        found.extend(entries_of(current))
        for tombstone in merged_from(current):
            if tombstone not in seen:
                seen.add(tombstone)
                queue.append(tombstone)
    return found


def group_brand(core: str | None, brand_chars: int) -> str | None:
    """The brand (字号) a company is known by in the cross-group check, or None.

    The first ``brand_chars`` characters of its Chinese name core (region and legal
    form already stripped), so 华为技术有限公司 and 华为终端有限公司 share 华为. Latin
    names have no brand here; they reach group members through ordinary candidates.
    """
    if core is None or brand_chars == 0 or len(core) < brand_chars:
        return None
    prefix = core[:brand_chars]
    return prefix if all(HAN_CHARACTER.match(ch) for ch in prefix) else None


class CandidateIndex:
    """Blocking key -> entries, with the customers each entry stands for."""

    def __init__(self, max_block_size: int, typo_block_size: int = TYPO_BLOCK_SIZE) -> None:
        self.max_block_size = max_block_size
        # Above the stop-word size a crowded sound could not be told (its oversized
        # blocks are not read whole): the persisted view clamps it the same way.
        self.typo_block_size = min(typo_block_size, max_block_size)
        self._entries: list[IndexEntry | None] = []
        self._postings: dict[int, int | list[int]] = {}
        self._by_entry_id: dict[UUID, int] = {}
        self._by_customer: dict[UUID, int | list[int]] = {}

    def __len__(self) -> int:
        return len(self._by_entry_id)

    def put(self, entry_id: UUID, customer_id: UUID, profile: MatchProfile) -> None:
        """Files ``profile`` under ``entry_id``, replacing what that id had."""
        self.discard(entry_id)
        number = len(self._entries)
        self._entries.append(IndexEntry(entry_id, customer_id, profile))
        self._by_entry_id[entry_id] = number
        _add(self._by_customer, customer_id, number)
        for key_hash in _hashes(profile):
            _add(self._postings, key_hash, number)

    def discard(self, entry_id: UUID) -> None:
        """Forgets an entry; unknown ids are ignored (replays may repeat a removal)."""
        number = self._by_entry_id.pop(entry_id, None)
        if number is None:
            return
        entry = self._entries[number]
        assert entry is not None
        self._entries[number] = None
        _remove(self._by_customer, entry.customer_id, number)
        for key_hash in _hashes(entry.profile):
            _remove(self._postings, key_hash, number)

    def entries_of(self, customer_id: UUID) -> list[IndexEntry]:
        found = self._by_customer.get(customer_id)
        numbers = [found] if isinstance(found, int) else sorted(found or ())
        return [entry for n in numbers if (entry := self._entries[n]) is not None]

    def entries(self) -> list[IndexEntry]:
        """Every entry, in the order it was (last) filed."""
        return [entry for entry in self._entries if entry is not None]

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        """Entries sharing a blocking key with ``profile``; oversized blocks are skipped,
        typo blocks read as :func:`~crmcore.identity.blocking.crowded` says."""
        blocks = blocks_of(profile)
        found: dict[int, None] = {}
        keys = list(blocks.plain)
        for sound in blocks.sounds:
            province_keys = blocks.province_keys(sound)
            if not crowded(self._entries_under(province_keys), self.typo_block_size):
                keys.extend(province_keys)
            elif (surname_key := blocks.surname_key(sound)) is not None:
                keys.append(surname_key)
        for key in keys:
            posting = self._postings.get(hash(key))
            if posting is None:
                continue
            if isinstance(posting, int):
                found[posting] = None
            elif len(posting) <= self.max_block_size or key.startswith("k:"):
                found.update(dict.fromkeys(posting))
        return [entry for n in found if (entry := self._entries[n]) is not None]

    def _entries_under(self, keys: Iterable[str]) -> int:
        """How many entries ``keys``' blocks hold, each once (a record that says
        nowhere is in every province's block) - counted only up to one past the typo
        block size: past that the number does not matter."""
        found: set[int] = set()
        over = self.typo_block_size + 1
        for key in keys:
            posting = self._postings.get(hash(key))
            if isinstance(posting, int):
                found.add(posting)
            elif posting is not None:
                if len(posting) >= over:
                    return len(posting)
                found.update(posting)
            if len(found) >= over:
                break
        return len(found)


def _hashes(profile: MatchProfile) -> set[int]:
    return {hash(key) for key in blocking_keys(profile)}


def _add(postings: dict[_K, int | list[int]], key: _K, number: int) -> None:
    found = postings.get(key)
    if found is None:
        postings[key] = number
    elif isinstance(found, int):
        postings[key] = [found, number]
    else:
        found.append(number)


def _remove(postings: dict[_K, int | list[int]], key: _K, number: int) -> None:
    found = postings[key]
    if isinstance(found, int):
        del postings[key]
        return
    found.remove(number)
    if len(found) == 1:
        postings[key] = found[0]
