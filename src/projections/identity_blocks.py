"""Which identity entries lie under a record's blocking keys, read from ``identity_blocks``.

A check reads the postings of every block its record is filed under (``crmcore.identity
.blocking``): each plain key is one look-up, limited to one entry more than the block
limit so an oversized block (a stop word) costs no more than a small one; an exact key's
block is read whole, never skipped. A record that says nowhere is filed in every
province's typo block of each of its sounds: those 34 blocks lie in one range of hashes
(:meth:`crmcore.identity.keys.KeyIds.typo_block_base`) and are read with one range
look-up a sound. Postings are kept until the batch that read them ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from crmcore.identity.blocking import TYPO_BLOCK_SIZE, blocks_of, crowded
from crmcore.identity.keys import KeyIds, slotted, typo_base_of
from crmcore.identity.profile import MatchProfile
from crmcore.identity.regions import every_province
from projections.identity_statements import Statements, chunks, whole_block


@dataclass(frozen=True, slots=True)
class _Sound:
    """A typo sound's look-ups: its blocks in the record's provinces (``base``: the
    first hash of their range, when they are all 34), and its surname block's hash."""

    blocks: list[int]
    base: int | None
    surname: int | None


@dataclass(frozen=True, slots=True)
class _Lookups:
    """A profile's look-ups: plain blocks (hash -> whether an exact key's), typo sounds."""

    points: dict[int, bool]
    sounds: dict[str, _Sound]


class BlockReader:
    """Postings of the blocks checks look in, read once a batch."""

    def __init__(
        self,
        key_ids: KeyIds,
        sql: Statements,
        max_block_size: int,
        typo_block_size: int = TYPO_BLOCK_SIZE,
    ) -> None:
        self._ids = key_ids
        self._sql = sql
        self._limit = max_block_size + 1
        # At most the stop-word size: then an oversized block makes its sound crowded.
        self._typo_block_size = min(typo_block_size, max_block_size)
        self._postings: dict[int, list[int]] = {}
        # Typo sounds read in every province and found crowded by their range alone
        # (the first hash of the range): their blocks are not kept, nor needed.
        self._crowded: set[int] = set()
        self._oversized: set[int] = set()  # blocks read too large to keep
        # A batch's profiles are looked up twice (prepared together, then checked one
        # by one): their hashes worked out once. Keyed by identity, the profile kept.
        self._hashed: dict[int, tuple[MatchProfile, _Lookups]] = {}

    def forget(self) -> None:
        """The batch is over: the next reads what the view holds then."""
        self._postings.clear()
        self._crowded.clear()
        self._oversized.clear()
        self._hashed.clear()

    def numbers_under(
        self, profiles: Sequence[MatchProfile], connection: Connection
    ) -> list[int]:
        """Entry numbers under the profiles' blocks, oversized ones left out (exact keys'
        never are), each once; a typo sound crowded in the profile's provinces read
        through its surname block (:func:`crmcore.identity.blocking.crowded`)."""
        lookups = [self._lookups_of(profile) for profile in profiles]
        points: dict[int, bool] = {}
        ranges: set[int] = set()
        for lookup in lookups:
            points.update(lookup.points)
            for sound in lookup.sounds.values():
                if sound.base is None:
                    points.update(dict.fromkeys(sound.blocks, False))
                else:
                    ranges.add(sound.base)
                # Read with the rest whether it will be wanted or not: a second round
                # trip for the crowded sounds' cost more than their few postings
                # (p50 of a check at 100k 0.75 -> 1.13 ms with one).
                if sound.surname is not None:
                    points[sound.surname] = False
        unread = {base: slotted(base, every_province()) for base in ranges}
        unread = {base: values for base, values in unread.items()
                  if base not in self._crowded
                  and any(value not in self._postings for value in values)}
        self._read_ranges(connection, unread)
        self._read_points(connection, points)
        found: dict[int, None] = {}
        for lookup in lookups:
            for value in self._chosen(lookup):
                found.update(dict.fromkeys(self._postings[value]))
        return list(found)

    def _chosen(self, lookup: _Lookups) -> list[int]:
        """The blocks a profile reads: its plain ones, the province blocks of its quiet
        typo sounds and the surname blocks of its crowded ones."""
        values = list(lookup.points)
        postings = self._postings
        for typo in lookup.sounds.values():
            if typo.base in self._crowded or not self._oversized.isdisjoint(typo.blocks):
                if typo.surname is not None:
                    values.append(typo.surname)
                continue
            size = sum(len(postings[value]) for value in typo.blocks)
            if len(typo.blocks) > 1 and crowded(size, self._typo_block_size):
                # Entries, not postings: a record that says nowhere is in all 34 blocks.
                size = len(set().union(*(postings[value] for value in typo.blocks)))
            if not crowded(size, self._typo_block_size):
                values.extend(typo.blocks)
            elif typo.surname is not None:
                values.append(typo.surname)
        return values

    def _lookups_of(self, profile: MatchProfile) -> _Lookups:
        hashed = self._hashed.get(id(profile))
        if hashed is None or hashed[0] is not profile:
            hashed = self._hashed[id(profile)] = (profile, self._hash(profile))
        return hashed[1]

    def _hash(self, profile: MatchProfile) -> _Lookups:
        ids = self._ids
        blocks = blocks_of(profile)
        points = {ids.block_hash(key): key.startswith("k:") for key in blocks.plain}
        sounds: dict[str, _Sound] = {}
        for sound in blocks.sounds:
            surname_key = blocks.surname_key(sound)
            surname = None if surname_key is None else ids.block_hash(surname_key)
            if blocks.everywhere:
                base = ids.typo_block_base(sound)
                sounds[sound] = _Sound(slotted(base, every_province()), base, surname)
            else:
                hashes = ids.typo_block_hashes(sound, blocks.provinces)
                sounds[sound] = _Sound(hashes, None, surname)
        return _Lookups(points, sounds)

    def _keep(self, value: int, numbers: list[int]) -> None:
        # A key shared by too many entries says nothing (like a stop word).
        if len(numbers) < self._limit:
            self._postings[value] = numbers
        else:
            self._postings[value] = []
            self._oversized.add(value)

    def _read_ranges(self, connection: Connection, unread: dict[int, list[int]]) -> None:
        """One range a sound (``unread``: its first hash -> its blocks' hashes) instead
        of 34 look-ups. A range holding more rows than 34 blocks of ``typo_block_size``
        entries each is crowded (an entry is in a province's block once), so no more
        of it is read: a sound like ``ke ji`` read in every province was ten thousand
        rows."""
        crowd = (self._typo_block_size + 1) * len(every_province())
        for chunk in chunks(list(unread), self._sql.arms):
            rows: dict[int, list[tuple[int, int]]] = {base: [] for base in chunk}
            for value, number in self._sql.ranges(connection, chunk, crowd):
                rows[typo_base_of(value)].append((value, number))
            for base, found in rows.items():
                if len(found) >= crowd:
                    self._crowded.add(base)
                    continue
                postings: dict[int, list[int]] = {value: [] for value in unread[base]}
                for value, number in found:
                    if value in postings:  # not another key's hash landing in the range
                        postings[value].append(number)
                for value, numbers in postings.items():
                    self._keep(value, numbers)

    def _read_points(self, connection: Connection, points: dict[int, bool]) -> None:
        missing = [value for value in points if value not in self._postings]
        for chunk in chunks(missing, self._sql.arms):
            by_key: dict[int, list[int]] = {value: [] for value in chunk}
            for value, number in self._sql.postings(connection, chunk, self._limit):
                by_key[value].append(number)
            for value, numbers in by_key.items():
                if len(numbers) >= self._limit and points[value]:
                    self._postings[value] = whole_block(connection, value)
                else:
                    self._keep(value, numbers)
