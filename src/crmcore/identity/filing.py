"""Filing events in the candidate index: who resembles whom, as the log says.

One function, :func:`file_event`, turns each event that changes a customer's identity
into writes on an :class:`IndexStore`. Two stores implement it: the in-memory
:class:`~crmcore.identity.memory_index.MemoryIndex` (an application on eventsourcing's
in-memory store) and the persisted identity view (:mod:`projections.identity_index`),
whose handlers call this same function - so both fold the log the same way, and a test
can hold them side by side.

Entries are addressed by an entry id: the customer id for a customer's own profile,
the attempt id for a refused record, :func:`merged_alias_id` for a record merged into
a customer. An entry keeps the customer it was filed for; merges and splits re-point
all of them at once through the store's tombstone -> survivor map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from crmcore.commands import RECORD_FIELDS
from crmcore.domain import (
    Customer,
    DuplicateAttempt,
    GroupMembership,
    IdentityKeyIndex,
    customer_merges,
)
from crmcore.domain.customer_erasure import PERSONAL_KINDS, Erased
from crmcore.event_log import topics_of
from crmcore.identity.candidates import IndexEntry, standing_for
from crmcore.identity.keys import IdentityKey, KeyKind, keys_of_contact
from crmcore.identity.profile import MatchProfile, build_profile

# Every event file_event reads; a store following the log asks for these only.
FILED_EVENTS: tuple[type[Any], ...] = (
    Customer.Registered,
    Customer.RecordMerged,
    Customer.ContactDetailsCorrected,
    Customer.IdentityKeyAdded,
    Customer.IdentityKeyRemoved,
    customer_merges.MergedInto,
    customer_merges.Restored,
    customer_merges.Absorbed,
    customer_merges.SplitOff,
    DuplicateAttempt.Blocked,
    IdentityKeyIndex.DeclaredGeneric,
    GroupMembership.Joined,
    GroupMembership.Left,
    Erased,
)
FILED_TOPICS = topics_of(*FILED_EVENTS)


class IndexStore(Protocol):
    """What filing writes and reads back; the memory index and the persisted view."""

    def put(self, entry: IndexEntry, *, new: bool = False) -> None:
        """Files an entry, replacing what its id had (``new``: the id was never filed)."""

    def entries_of(self, customer_id: UUID) -> list[IndexEntry]:
        """Every entry filed for the customer, its own and its aliases."""

    def merged_into(self, customer_id: UUID) -> UUID | None:
        """The customer a tombstone was merged into (one step), else None."""

    def set_merged_into(self, customer_id: UUID, survivor_id: UUID | None) -> None:
        """Records a merge (or, with None, a restore) of ``customer_id``."""

    def merged_from(self, survivor_id: UUID) -> list[UUID]:
        """The tombstones merged straight into ``survivor_id`` (one step back)."""

    def add_generic(self, key: IdentityKey) -> None:
        """Remembers that ``key`` identifies nobody (declared generic)."""

    def join_group(self, customer_id: UUID, group_id: UUID, core: str | None) -> None:
        """Files a grouped customer under its company name's core."""

    def leave_group(self, customer_id: UUID) -> None: ...

    def rename_grouped(self, customer_id: UUID, core: str | None) -> None:
        """Updates a grouped customer's core; ignored for a customer in no group."""


def record_profile(record: Mapping[str, Any]) -> MatchProfile:
    """The profile of a record as events keep it (``RegisterCustomer.record()``).

    Memoised on the record's content: a process that just decided a record (and built
    its profile) files the same record again when its view reads the event back, and
    a profile is the dear part of both.
    """
    content = _content(record)
    found = _PROFILES.get(content)
    if found is None:
        found = build_profile(
            company_name=content[0],
            contact_name=content[1],
            keys=keys_of_contact(*content[2:7]),
            region=content[7],
        )
        _remember(content, found)
    return found


def remember_profile(record: Mapping[str, Any], profile: MatchProfile) -> None:
    """Hands in the profile of ``record`` built elsewhere (the import builds profiles in
    a staging process): the next :func:`record_profile` of the record returns it. It
    must be what :func:`record_profile` would build - the codec's round trip is."""
    _remember(_content(record), profile)


def forget_profiles() -> None:
    """Empties the memo (a benchmark that wants cold profiles)."""
    _PROFILES.clear()


_Content = tuple[
    str | None, str | None, tuple[str, ...], tuple[str, ...], str | None, str | None,
    str | None, str | None,
]
_PROFILES: dict[_Content, MatchProfile] = {}
_REMEMBERED = 16_384
"""Profiles kept: two import chunks in flight and the view filing them back fit."""


def _content(record: Mapping[str, Any]) -> _Content:
    return (
        record.get("company_name"),
        record.get("contact_name"),
        tuple(record.get("phones") or ()),
        tuple(record.get("emails") or ()),
        record.get("uscc"),
        record.get("wechat"),
        record.get("external_id"),
        record.get("region"),
    )


def _remember(content: _Content, profile: MatchProfile) -> None:
    # Emptied when full rather than least-recently-used: a dict's get and set need no
    # lock between threads, and a profile dropped is only built again.
    if len(_PROFILES) >= _REMEMBERED:
        _PROFILES.clear()
    _PROFILES[content] = profile


def merged_alias_id(customer_id: UUID, version: int) -> UUID:
    """Entry id of the alias a RecordMerged event files (stable across rebuilds)."""
    return uuid5(NAMESPACE_URL, f"crmcore:merged-record:{customer_id}:{version}")


def file_event(store: IndexStore, event: Any) -> None:
    """Files what one event says about who resembles whom; other events are ignored."""
    cid: UUID = event.originator_id
    if isinstance(event, Customer.Registered):
        record = {name: getattr(event, name) for name in RECORD_FIELDS}
        store.put(IndexEntry(cid, cid, record_profile(record)), new=True)
    elif isinstance(event, DuplicateAttempt.Blocked):
        entry = IndexEntry(cid, event.existing_customer_id, record_profile(event.record))
        store.put(entry, new=True)
    elif isinstance(event, Customer.RecordMerged):
        alias = merged_alias_id(cid, event.originator_version)
        store.put(IndexEntry(alias, cid, record_profile(event.record)), new=True)
        _revise(store, cid, event.filled, None)
    elif isinstance(event, Customer.ContactDetailsCorrected):
        _revise(store, cid, event.changes, None)
    elif isinstance(event, IdentityKeyIndex.DeclaredGeneric):
        store.add_generic(IdentityKey.from_label(event.key))
    elif isinstance(event, customer_merges.MergedInto):
        store.set_merged_into(cid, event.survivor_id)
    elif isinstance(event, customer_merges.Restored):
        store.set_merged_into(cid, None)
    elif isinstance(event, customer_merges.Absorbed):
        _revise(store, cid, event.filled, None)
    elif isinstance(event, customer_merges.SplitOff):
        _revise(store, cid, dict.fromkeys(event.reverted), None)
    elif isinstance(event, GroupMembership.Joined):
        own = own_entry(store, event.customer_id)
        store.join_group(event.customer_id, event.group_id, _core(own.profile if own else None))
    elif isinstance(event, GroupMembership.Left):
        store.leave_group(event.customer_id)
    elif isinstance(event, Erased):
        _erase(store, cid)
    elif isinstance(event, Customer.IdentityKeyAdded | Customer.IdentityKeyRemoved):
        key = IdentityKey(KeyKind(event.kind), event.value)
        _revise(store, cid, {}, (key, isinstance(event, Customer.IdentityKeyAdded)))


def own_entry(store: IndexStore, customer_id: UUID) -> IndexEntry | None:
    """The customer's own entry (its aliases aside)."""
    for entry in store.entries_of(customer_id):
        if entry.entry_id == customer_id:
            return entry
    return None


def _core(profile: MatchProfile | None) -> str | None:
    return profile.company.core if profile is not None and profile.company else None


def _revise(
    store: IndexStore,
    customer_id: UUID,
    details: Mapping[str, Any],
    key: tuple[IdentityKey, bool] | None,
) -> None:
    """Applies changed details (and a key gained or lost) to the customer's own entry.

    A removed key also leaves every alias standing for the customer: whoever removed
    it said it no longer identifies this customer, so an old refused record that
    carried it must not keep blocking the key's next holder.
    """
    removed = key[0] if key is not None and not key[1] else None
    for entry in _standing_for(store, customer_id, aliases=removed is not None):
        old = entry.profile
        keys = set(old.keys)
        own = entry.entry_id == customer_id
        if key is not None and (own or removed is not None):
            (keys.add if key[1] else keys.discard)(key[0])
        # A detail named in ``details`` replaces the old one, even by None (a split
        # empties what its merge had filled); aliases keep their own details.
        profile = old.revised(details if own else None, keys)
        store.put(IndexEntry(entry.entry_id, entry.customer_id, profile))
        if own:
            store.rename_grouped(customer_id, _core(profile))


def _erase(store: IndexStore, customer_id: UUID) -> None:
    """Drops the contact name and the personal keys from every entry standing for an
    erased customer (its own, its merged records', its refused attempts'): they no
    longer match anyone, and the view holds nothing the data key protected."""
    for entry in _standing_for(store, customer_id, aliases=True):
        keys = [key for key in entry.profile.keys if key.kind not in PERSONAL_KINDS]
        profile = entry.profile.revised({"contact_name": None}, keys)
        store.put(IndexEntry(entry.entry_id, entry.customer_id, profile))


def _standing_for(store: IndexStore, customer_id: UUID, *, aliases: bool) -> Sequence[IndexEntry]:
    """The customer's own entry, and with ``aliases`` every entry filed for it or for a
    tombstone merged (through any chain) into it, when it is live itself."""
    if not aliases:
        own = own_entry(store, customer_id)
        return [own] if own is not None else []
    if store.merged_into(customer_id) is not None:
        return list(store.entries_of(customer_id))
    return standing_for(customer_id, store.entries_of, store.merged_from)
