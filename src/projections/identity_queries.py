"""The identity check's questions, answered from the identity view's tables.

:class:`SqlCandidateSource` is the :class:`~crmcore.identity.candidates.CandidateSource`
of an application on SQLite or PostgreSQL: ``catch_up`` runs the projection runner for
the identity view alone, and each question is one or two indexed queries whose cost
depends on the record asked about, not on the size of the book.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Recording
from sqlalchemy.engine import Engine

from crmcore.identity.blocking import TYPO_BLOCK_SIZE
from crmcore.identity.candidates import IndexContents, IndexEntry, follow_merges, standing_for
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile
from crmcore.personal_data import KeyRead
from projections.identity_blocks import BlockReader
from projections.identity_contents import whole_view
from projections.identity_index import IDENTITY_VIEW
from projections.identity_rare import RareTables
from projections.identity_statements import (
    ENTRIES_OF,
    MAX_ARMS,
    MERGED_FROM,
    OWN_PROFILE,
    chunks,
    grouped_query,
    statements,
)
from projections.personal import PLAIN, PersonalSeal
from projections.runner import ProjectionRunner
from projections.tables import HeldReader

# Above this code point no character sorts: ``brand + _LAST`` bounds a prefix range.
_LAST = "\U0010ffff"


def personal_of(source: object) -> PersonalSeal:
    """The seal of a candidate source's view (plain for the in-memory index, which
    keeps nothing at rest)."""
    return source.personal if isinstance(source, SqlCandidateSource) else PLAIN


class SqlCandidateSource:
    """Candidates, survivors, generic keys and groups from the persisted identity view."""

    def __init__(
        self,
        app: Application[UUID],
        engine: Engine,
        max_block_size: int,
        *,
        dispose: bool,
        keys_beside: bool = False,
        typo_block_size: int = TYPO_BLOCK_SIZE,
    ) -> None:
        """``keys_beside``: the view lives in the store's own database (the default
        deployment), so a sealed candidate's data key is read in the query that reads
        the candidate - one round trip a check instead of two."""
        self._runner = ProjectionRunner(app, engine, (IDENTITY_VIEW,))
        self._personal = self._runner.personal
        key_table = self._personal.key_table if keys_beside else None
        self._sql = statements(engine.dialect.name == "postgresql", key_table)
        # The one connection every question reads through (autocommit: no snapshot).
        self._reads = HeldReader(engine, dispose=dispose)
        # Answers kept from a catch-up to the end of the batch it serves: the batch
        # decides against the view as it read it. A record another process files
        # meanwhile is not a candidate either way (fuzzy matches are best effort under
        # concurrency; exact keys are decided by the key-index aggregates).
        self._rare = RareTables()  # outlives batches: re-read when the view moves
        self._blocks = BlockReader(
            self._personal.key_ids, self._sql, max_block_size, typo_block_size
        )
        self._entries_by_number: dict[int, IndexEntry] = {}
        # Profiles decoded by earlier batches, by entry number, with the stored text they
        # were decoded from: a popular block's entries are candidates of many checks,
        # and decoding (opening, when sealed) is most of reading one. Kept only while
        # the view still stores that text - a re-filed entry (an erasure's, a merge's)
        # is decoded again - and bounded.
        self._decoded: OrderedDict[int, tuple[str, MatchProfile]] = OrderedDict()
        self._merged_step: dict[UUID, UUID | None] = {}
        self._generic_labels: dict[str, bool] = {}
        self._group_of: dict[UUID, UUID | None] = {}
        self._by_brand: dict[str, set[UUID]] = {}

    @property
    def personal(self) -> PersonalSeal:
        """How the view keeps personal values (what a scan of its tables opens them with)."""
        return self._personal

    @property
    def position(self) -> int | None:
        return self._runner.position(IDENTITY_VIEW.name)

    def catch_up(self) -> int:
        self.release()
        read = self._runner.catch_up()
        self._rare.moved_to(self._runner.known_position())
        return read

    def take(self, recordings: Sequence[Recording[UUID]]) -> None:
        self._runner.take(recordings)
        self._rare.took(recordings, self._runner.known_position())

    def close(self) -> None:
        self._reads.close()

    # -- a batch's answers, fetched together ---------------------------------------

    def prepare(self, profiles: Sequence[MatchProfile], brands: Collection[str] = ()) -> None:
        """Fetches what checking ``profiles`` will ask, in a few round trips instead of
        a few per record (an import decides 100 records a batch)."""
        self._fetch_brands([b for b in set(brands) if b not in self._by_brand])
        connection = self._reads.connection()
        entries = self._entries_numbered(self._blocks.numbers_under(profiles, connection))
        customers = {entry.customer_id for entry in entries}
        self.survivors(customers)
        self.groups_of(customers)
        self.generic_among({key for p in profiles for key in p.keys})

    def release(self) -> None:
        """Forgets answers kept for the batch: the next one catches up first."""
        self._blocks.forget()
        self._entries_by_number.clear()
        self._merged_step.clear()
        self._generic_labels.clear()
        self._group_of.clear()
        self._by_brand.clear()

    def candidates(self, profile: MatchProfile) -> list[IndexEntry]:
        connection = self._reads.connection()
        return self._entries_numbered(self._blocks.numbers_under([profile], connection))

    def _entries_numbered(self, numbers: list[int]) -> list[IndexEntry]:
        """The entries of ``numbers`` (each profile decoded once per batch), and for
        each entry's customer the first step of ``survivors`` (read in the same query:
        the check asks it of every candidate next)."""
        found = self._entries_by_number
        step = self._merged_step
        missing = [n for n in numbers if n not in found]
        connection = self._reads.connection()
        personal = self._personal
        decoded = self._decoded
        for chunk in chunks(missing, self._sql.chunk):
            rows = connection.execute(self._sql.entries_by_number, {"numbers": chunk}).all()
            customer_ids = {row.customer_id: UUID(row.customer_id) for row in rows}
            # A profile decoded by an earlier batch is reused while its stored text is
            # the same; the others are decoded together, their data keys read with
            # them (keys beside the view) or in one query (when sealed).
            profiles: dict[int, MatchProfile] = {}
            fresh = []
            for row in rows:
                kept = decoded.get(row.entry_no)
                if kept is not None and kept[0] == row.profile:
                    decoded.move_to_end(row.entry_no)
                    profiles[row.entry_no] = kept[1]
                else:
                    fresh.append(row)
            keys: dict[UUID, KeyRead] | None = None
            if self._sql.with_keys:
                keys = {
                    customer_ids[r.customer_id]: (r.master_key_id, r.wrapped)
                    for r in fresh
                    if r.key_subject is not None
                }
            else:
                personal.prefetch({customer_ids[r.customer_id] for r in fresh})
            opened = personal.decode_profiles(
                [(row.profile, customer_ids[row.customer_id]) for row in fresh], keys
            )
            for row, profile in zip(fresh, opened, strict=True):
                profiles[row.entry_no] = profile
                decoded[row.entry_no] = (row.profile, profile)
            while len(decoded) > _DECODED:
                decoded.popitem(last=False)
            for row in rows:
                customer_id = customer_ids[row.customer_id]
                found[row.entry_no] = IndexEntry(
                    UUID(row.entry_id), customer_id, profiles[row.entry_no]
                )
                if customer_id not in step:
                    step[customer_id] = UUID(row.survivor_id) if row.survivor_id else None
        return [found[n] for n in numbers if n in found]

    def survivors(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        step = self._merged_step
        # Not ``set(...) - step.keys()``: that iterates (and hashes) every id the batch
        # has kept, on each call - quadratic in the batch.
        pending = {c for c in customer_ids if c not in step}
        # A first step read with the entries may lead to a customer not looked up yet.
        pending.update(
            s for c in customer_ids if (s := step.get(c)) is not None and s not in step
        )
        connection = self._reads.connection()
        while pending:
            found: dict[UUID, UUID] = {}
            for chunk in chunks(sorted(str(c) for c in pending), self._sql.chunk):
                rows = connection.execute(self._sql.merged, {"ids": chunk})
                found.update((UUID(c), UUID(s)) for c, s in rows.tuples())
            step.update((c, found.get(c)) for c in pending)
            pending = {s for s in found.values() if s not in step}
        return follow_merges(customer_ids, step)

    def own_profile(self, customer_id: UUID) -> MatchProfile | None:
        connection = self._reads.connection()
        found = connection.execute(OWN_PROFILE, {"id": str(customer_id)}).first()
        if found is None:
            return None
        return self._personal.decode_profile(found.profile, UUID(found.customer_id))

    def generic_among(self, keys: Collection[IdentityKey]) -> set[IdentityKey]:
        connection = self._reads.connection()
        if not keys or not self._rare.any_generic(connection):
            return set()
        known = self._generic_labels
        missing = [key.label for key in keys if key.label not in known]
        for chunk in chunks(missing, self._sql.chunk):
            generic = set(connection.execute(self._sql.generic, {"keys": chunk}).scalars())
            known.update((label, label in generic) for label in chunk)
        return {key for key in keys if known[key.label]}

    def groups_of(self, customer_ids: Collection[UUID]) -> dict[UUID, UUID]:
        connection = self._reads.connection()
        if not customer_ids or not self._rare.any_group(connection):
            return {}
        known = self._group_of
        missing = sorted(str(c) for c in customer_ids if c not in known)
        for chunk in chunks(missing, self._sql.chunk):
            rows = dict(connection.execute(self._sql.groups_of, {"ids": chunk}).tuples().all())
            known.update((UUID(c), UUID(rows[c]) if c in rows else None) for c in chunk)
        return {c: group for c in customer_ids if (group := known[c]) is not None}

    def grouped_under(self, brand: str) -> set[UUID]:
        if brand not in self._by_brand:
            self._fetch_brands([brand])
        return set(self._by_brand[brand])

    def _fetch_brands(self, brands: list[str]) -> None:
        """Grouped customers under each brand: one prefix range per brand, up to
        ``MAX_ARMS`` ranges a statement."""
        connection = self._reads.connection()
        if brands and not self._rare.any_group(connection):
            self._by_brand.update((brand, set()) for brand in brands)
            return
        for chunk in chunks(sorted(brands), MAX_ARMS):
            bounds: dict[str, str] = {}
            for n, brand in enumerate(chunk):
                bounds[f"l{n}"], bounds[f"h{n}"] = brand, brand + _LAST
                self._by_brand[brand] = set()
            for customer_id, core in connection.execute(grouped_query(len(chunk)), bounds):
                for brand in chunk:
                    if core.startswith(brand):
                        self._by_brand[brand].add(UUID(customer_id))

    def contents(self) -> IndexContents:
        return whole_view(self._reads, self._personal)

    def entries_for(self, customer_id: UUID) -> list[IndexEntry]:
        connection = self._reads.connection()

        decode = self._personal.decode_profile

        def filed_for(cid: UUID) -> list[IndexEntry]:
            rows = connection.execute(ENTRIES_OF, {"id": str(cid)})
            return [IndexEntry(UUID(r.entry_id), cid, decode(r.profile, cid)) for r in rows]

        def merged_from(cid: UUID) -> list[UUID]:
            return [UUID(c) for c in connection.execute(MERGED_FROM, {"id": str(cid)}).scalars()]

        return standing_for(customer_id, filed_for, merged_from)


_DECODED = 100_000  # decoded profiles kept across batches (~1.5 KB each: ~150 MB at most)
