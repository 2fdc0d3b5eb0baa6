"""The whole identity view at once, for a whole-book pass (the in-memory scan reference,
``crmcore.identity.duplicate_scan``): entries streamed a page at a time - a million do
not fit one fetch - with the merges, generic keys and groups beside them."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from sqlalchemy import select

from crmcore.identity.candidates import IndexContents, IndexEntry
from crmcore.identity.keys import IdentityKey
from projections.identity_index import entries, generic_keys, groups, merges
from projections.personal import PersonalSeal
from projections.tables import HeldReader


def whole_view(reads: HeldReader, personal: PersonalSeal) -> IndexContents:
    """Everything the view holds, its entries streamed in filing order."""
    connection = reads.connection()
    merged = {
        UUID(c): UUID(s)
        for c, s in connection.execute(select(merges.c.customer_id, merges.c.survivor_id))
    }
    generic = {
        IdentityKey.from_label(k) for k in connection.execute(select(generic_keys.c.key)).scalars()
    }
    grouped = {
        UUID(c): (UUID(g), core)
        for c, g, core in connection.execute(
            select(groups.c.customer_id, groups.c.group_id, groups.c.core)
        )
    }
    return IndexContents(_entries(reads, personal), merged, generic, grouped)


def _entries(reads: HeldReader, personal: PersonalSeal) -> Iterator[IndexEntry]:
    after = 0
    while True:
        connection = reads.connection()
        rows = connection.execute(
            select(entries)
            .where(entries.c.entry_no > after)
            .order_by(entries.c.entry_no)
            .limit(10_000)
        ).all()
        if not rows:
            return
        subjects = [UUID(row.customer_id) for row in rows]
        personal.prefetch(set(subjects))
        profiles = personal.decode_profiles(
            [(row.profile, subject) for row, subject in zip(rows, subjects, strict=True)]
        )
        for row, subject, profile in zip(rows, subjects, profiles, strict=True):
            yield IndexEntry(UUID(row.entry_id), subject, profile)
        after = rows[-1].entry_no
