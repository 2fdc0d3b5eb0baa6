"""The identity view: the candidate index as tables, so a check never folds the log.

Every entry (a customer's own profile, or an alias: a record merged into it or refused
as its duplicate) is a row holding its match profile as built at filing time
(:mod:`crmcore.identity.profile_codec`); ``identity_blocks`` lists each entry under the
stable 64-bit hash of every blocking key. A check catches this view up, then asks for
the entries under its record's keys - one bounded query per check, whatever the size
of the book - and compares the stored profiles without rebuilding any.

The handlers are :func:`crmcore.identity.filing.file_event`, the function the in-memory
index folds with, writing through :class:`SqlIndexStore`: one definition of what each
event files.

What it guarantees a command (docs/architecture.md): after ``catch_up`` the view holds
every event committed before the catch-up read the log's head. A customer registered
by another process after that is not a candidate - fuzzy matches are best effort under
concurrency - but exact keys never rely on this view: the key-index aggregates decide
them inside the command's own atomic save.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)

from crmcore.identity.blocking import blocks_of
from crmcore.identity.candidates import IndexEntry
from crmcore.identity.filing import FILED_EVENTS, file_event
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile
from projections.personal import PersonalSeal
from projections.projection import Projection, ViewWriter
from projections.tables import byte_ordered, views

entries = Table(
    "identity_entries",
    views,
    # The notification id of the event that filed the entry: a block row names its
    # entry in 8 bytes, not 36 (ten or so block rows per customer are most of this
    # view's size), and a rebuild numbers every entry the same way.
    Column("entry_no", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("profile", Text, nullable=False),
)
blocks = Table(
    "identity_blocks",
    views,
    Column("key_hash", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_no", Integer, primary_key=True, autoincrement=False),
    # A typo sound's block under the contact's surname (``s:``): read by a check only
    # when the sound is crowded in its provinces, so a whole-book scan, which pairs
    # entries sharing a block, leaves these out (crmcore.identity.blocking).
    Column("by_surname", Boolean, nullable=False, default=False),
    sqlite_with_rowid=False,  # the primary key is the table: one B-tree, not two
)
merges = Table(
    "identity_merges",
    views,
    Column("customer_id", String(36), primary_key=True),
    Column("survivor_id", String(36), nullable=False, index=True),
)
generic_keys = Table(
    "identity_generic_keys",
    views,
    Column("key", String, primary_key=True),
)
groups = Table(
    "identity_groups",
    views,
    Column("customer_id", String(36), primary_key=True),
    Column("group_id", String(36), nullable=False),
    # Prefix look-ups (a brand) need byte order.
    Column("core", byte_ordered(), index=True),
)


def _hashes(personal: PersonalSeal, profile: MatchProfile) -> dict[int, bool]:
    """The profile's block hashes, each with whether it is a surname block."""
    found = blocks_of(profile)
    hashes = dict.fromkeys(personal.block_hashes(found), False)
    hashes.update(dict.fromkeys(personal.surname_hashes(found), True))
    return hashes


class SqlIndexStore:
    """The filing store over the view's tables, inside the runner's transaction (the
    identity benchmark files through it too, to load a large book without events)."""

    def __init__(self, writer: ViewWriter) -> None:
        self._writer = writer

    def put(self, entry: IndexEntry, *, new: bool = False) -> None:
        writer = self._writer
        personal = writer.personal
        profile = entry.profile
        # The entry's subject is the customer it was filed for: the one whose data key
        # sealed the record in its event (a refused record's is the customer it matched).
        stored = personal.encode_profile(profile, entry.customer_id)
        found = None if new else self._row(entries.c.entry_id == str(entry.entry_id))
        if found is not None:
            number = found.entry_no
            subject = UUID(found.customer_id)
            if personal.unreadable(found.profile, subject):
                # Filed before its subject's erasure, read after the key went (a view
                # that was not caught up when the erasure ran): which personal blocks it
                # had cannot be told, so all of its blocks go - a scan of the table, on
                # this rare path only; the check's path never takes it.
                writer.execute(delete(blocks).where(blocks.c.entry_no == number))
            else:
                old = personal.decode_profile(found.profile, subject)
                gone = _hashes(personal, old)
                writer.execute(
                    delete(blocks).where(
                        blocks.c.entry_no == number, blocks.c.key_hash.in_(list(gone))
                    )
                )
            writer.execute(
                update(entries)
                .where(entries.c.entry_no == number)
                .values(customer_id=str(entry.customer_id), profile=stored)
            )
        else:
            number = self._next_number()
            writer.insert(
                entries,
                {
                    "entry_no": number,
                    "entry_id": str(entry.entry_id),
                    "customer_id": str(entry.customer_id),
                    "profile": stored,
                },
            )
        for hashed, by_surname in _hashes(personal, profile).items():
            writer.insert(
                blocks, {"key_hash": hashed, "entry_no": number, "by_surname": by_surname}
            )

    def _next_number(self) -> int:
        """The id of the event filing the entry: one new entry per event at most (a
        registration, a refused record, a merged record), so no counter to read."""
        number = self._writer.notification_id
        if self._writer.memo.get("identity_last_new") == number:
            raise RuntimeError(f"event {number} filed two new identity entries")
        self._writer.memo["identity_last_new"] = number
        return number

    def _row(self, where: Any) -> Any:
        rows = self._writer.fetch(select(entries).where(where))
        return rows[0] if rows else None

    def entries_of(self, customer_id: UUID) -> list[IndexEntry]:
        rows = self._writer.fetch(
            select(entries)
            .where(entries.c.customer_id == str(customer_id))
            .order_by(entries.c.entry_no)
        )
        return [_entry(self._writer.personal, row) for row in rows]

    def merged_into(self, customer_id: UUID) -> UUID | None:
        found = self._writer.scalar(
            select(merges.c.survivor_id).where(merges.c.customer_id == str(customer_id))
        )
        return UUID(found) if found else None

    def set_merged_into(self, customer_id: UUID, survivor_id: UUID | None) -> None:
        self._writer.execute(delete(merges).where(merges.c.customer_id == str(customer_id)))
        if survivor_id is not None:
            row = {"customer_id": str(customer_id), "survivor_id": str(survivor_id)}
            self._writer.insert(merges, row)

    def merged_from(self, survivor_id: UUID) -> list[UUID]:
        rows = self._writer.fetch(
            select(merges.c.customer_id).where(merges.c.survivor_id == str(survivor_id))
        )
        return sorted((UUID(row.customer_id) for row in rows), key=str)

    def add_generic(self, key: IdentityKey) -> None:
        self._writer.execute(delete(generic_keys).where(generic_keys.c.key == key.label))
        self._writer.insert(generic_keys, {"key": key.label})

    def join_group(self, customer_id: UUID, group_id: UUID, core: str | None) -> None:
        self.leave_group(customer_id)
        row = {"customer_id": str(customer_id), "group_id": str(group_id), "core": core}
        self._writer.insert(groups, row)

    def leave_group(self, customer_id: UUID) -> None:
        self._writer.execute(delete(groups).where(groups.c.customer_id == str(customer_id)))

    def rename_grouped(self, customer_id: UUID, core: str | None) -> None:
        self._writer.execute(
            update(groups).where(groups.c.customer_id == str(customer_id)).values(core=core)
        )


def _entry(personal: PersonalSeal, row: Any) -> IndexEntry:
    customer_id = UUID(row.customer_id)
    profile = personal.decode_profile(row.profile, customer_id)
    return IndexEntry(UUID(row.entry_id), customer_id, profile)


def _file(writer: ViewWriter, event: Any) -> None:
    file_event(SqlIndexStore(writer), event)


IDENTITY_VIEW = Projection(
    name="identity",
    # 2: phones blocked by pairs of three parts (crmcore.identity.blocking), not by
    # their first six and last five digits. A store of layout 1 is rebuilt on opening.
    # 3: with personal-data protection, the personal half of each profile is sealed
    # under its customer's data key and the block hashes are keyed (projections.personal).
    # 4: typo keys qualified by province (crmcore.identity.blocking: ``t:`` keys).
    # 5: each typo sound also filed under the contact's surname (``s:`` keys), read
    # when the sound is crowded in a record's provinces.
    layout=5,
    tables=(entries, blocks, merges, generic_keys, groups),
    handlers=dict.fromkeys(FILED_EVENTS, _file),
)
