"""Stage 3, candidates: an in-memory index from blocking key to the profiles filed under it.

The index is a read model: the application builds it from the event log (a customer's
own profile, plus alias profiles of records merged into it or refused as its
duplicates) and can rebuild it at any time. Entries are addressed by an entry id - the
customer id for a customer's own profile, the attempt id for an alias - so applying
the same event twice changes nothing.

Memory matters at a million customers: keys are stored as their hash (a collision only
adds a candidate that the comparison then rejects), and a key with a single entry maps
to that entry's number rather than to a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.profile import MatchProfile


@dataclass(frozen=True)
class IndexEntry:
    entry_id: UUID
    customer_id: UUID
    profile: MatchProfile


class CandidateIndex:
    """Blocking key -> entries, with the customers each entry stands for."""

    def __init__(self, max_block_size: int) -> None:
        self.max_block_size = max_block_size
        self._entries: list[IndexEntry | None] = []
        self._keys: list[tuple[int, ...]] = []
        self._postings: dict[int, int | list[int]] = {}
        self._by_entry_id: dict[UUID, int] = {}
        self._by_customer: dict[UUID, set[int]] = {}

    def __len__(self) -> int:
        return len(self._by_entry_id)

    def put(self, entry_id: UUID, customer_id: UUID, profile: MatchProfile) -> None:
        """Files ``profile`` under ``entry_id``, replacing what that id had."""
        self.discard(entry_id)
        number = len(self._entries)
        keys = blocking_keys(profile)
        hashes = tuple({hash(key) for key in keys})
        self._entries.append(IndexEntry(entry_id, customer_id, profile))
        self._keys.append(hashes)
        self._by_entry_id[entry_id] = number
        self._by_customer.setdefault(customer_id, set()).add(number)
        for key_hash in hashes:
            posting = self._postings.get(key_hash)
            if posting is None:
                self._postings[key_hash] = number
            elif isinstance(posting, int):
                self._postings[key_hash] = [posting, number]
            else:
                posting.append(number)

    def discard(self, entry_id: UUID) -> None:
        """Forgets an entry; unknown ids are ignored (replays may repeat a removal)."""
        number = self._by_entry_id.pop(entry_id, None)
        if number is None:
            return
        entry = self._entries[number]
        assert entry is not None
        self._entries[number] = None
        self._by_customer[entry.customer_id].discard(number)
        if not self._by_customer[entry.customer_id]:
            del self._by_customer[entry.customer_id]
        for key_hash in self._keys[number]:
            posting = self._postings[key_hash]
            if isinstance(posting, int):
                del self._postings[key_hash]
            else:
                posting.remove(number)
                if len(posting) == 1:
                    self._postings[key_hash] = posting[0]
        self._keys[number] = ()

    def discard_customer(self, customer_id: UUID) -> None:
        """Forgets a customer's own profile and every alias filed for it."""
        for number in list(self._by_customer.get(customer_id, ())):
            entry = self._entries[number]
            assert entry is not None
            self.discard(entry.entry_id)

    def entries_of(self, customer_id: UUID) -> list[IndexEntry]:
        numbers = sorted(self._by_customer.get(customer_id, ()))
        return [entry for n in numbers if (entry := self._entries[n]) is not None]

    def entries(self) -> list[IndexEntry]:
        """Every entry, in the order it was (last) filed."""
        return [entry for entry in self._entries if entry is not None]

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        """Entries sharing a blocking key with ``profile``; oversized blocks are skipped."""
        keys = blocking_keys(profile)
        found: dict[int, None] = {}
        for key in keys:
            posting = self._postings.get(hash(key))
            if posting is None:
                continue
            if isinstance(posting, int):
                found[posting] = None
            elif len(posting) <= self.max_block_size or key.startswith("k:"):
                found.update(dict.fromkeys(posting))
        return [entry for n in found if (entry := self._entries[n]) is not None]
