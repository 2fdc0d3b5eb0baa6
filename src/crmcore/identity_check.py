"""The identity check every entry path calls: candidates from the index, rules, decision.

:class:`IdentityChecker` owns the candidate index (a read model folded from the event
log) and turns a record's profile into an :class:`~crmcore.identity.decide.IdentityDecision`.
Before a command decides, the application calls :meth:`IdentityChecker.catch_up`, so
customers written by other processes are seen; exact keys are then checked against the
key-index aggregates, which is what keeps them race-free.

Records decided earlier in the same batch are filed *provisionally*: visible to the
rest of the batch, dropped again if the batch's save fails, and not filed twice when
catch-up later reads the batch's own events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from crmcore.commands import RECORD_FIELDS
from crmcore.config import DedupMode, IdentityConfig
from crmcore.domain import (
    CUSTOMER_STATE_EVENTS,
    Customer,
    DuplicateAttempt,
    GroupMembership,
    IdentityKeyIndex,
    customer_merges,
)
from crmcore.event_log import follow, topics_of
from crmcore.group_watch import GroupWatch
from crmcore.identity import IdentityKey, KeyKind, keys_of_contact
from crmcore.identity.candidates import CandidateIndex, IndexEntry
from crmcore.identity.compare import compare
from crmcore.identity.decide import CandidateMatch, IdentityDecision, RuleBook, decide
from crmcore.identity.profile import MatchProfile, build_profile
from crmcore.identity.score import pair_score

_TOPICS = topics_of(
    *CUSTOMER_STATE_EVENTS,
    DuplicateAttempt.Blocked,
    IdentityKeyIndex.DeclaredGeneric,
    GroupMembership.Joined,
    GroupMembership.Left,
)


def record_profile(record: Mapping[str, Any]) -> MatchProfile:
    """The profile of a record as events keep it (``RegisterCustomer.record()``)."""
    keys = keys_of_contact(
        record.get("phones") or (),
        record.get("emails") or (),
        record.get("uscc"),
        record.get("wechat"),
        record.get("external_id"),
    )
    return build_profile(
        company_name=record.get("company_name"),
        contact_name=record.get("contact_name"),
        keys=keys,
        region=record.get("region"),
    )


def merged_alias_id(customer_id: UUID, version: int) -> UUID:
    """Entry id of the alias a RecordMerged event files (stable across rebuilds)."""
    return uuid5(NAMESPACE_URL, f"crmcore:merged-record:{customer_id}:{version}")


class IdentityChecker:
    """The candidate index plus the rules; one per application."""

    def __init__(self, config: IdentityConfig) -> None:
        self.config = config
        # Both are derived from the frozen config; computed once, not per comparison.
        self._weights = config.weights
        self._rule_set_version = config.rule_set_version
        self._rules = RuleBook(config.rules)
        self.index = CandidateIndex(config.max_block_size)
        self.position: int | None = None
        self._provisional: set[UUID] = set()
        # Tombstone -> its survivor. Index entries keep the customer they were filed
        # for; a match is reported against whoever that customer stands for now, so a
        # merge or a split re-points every entry (aliases included) in one step.
        self._merged_into: dict[UUID, UUID] = {}
        # Keys declared generic: stripped from every record before it is matched, so
        # they neither block as exact keys nor count as shared or near evidence.
        self.generic: set[IdentityKey] = set()
        # Customers in group trees, by brand, for the cross-group check.
        self.groups = GroupWatch(config.group_brand_chars)

    # -- following the log ---------------------------------------------------------

    def catch_up(self, app: Application[UUID]) -> int:
        """Folds the events recorded since the last catch-up; returns how many."""
        self.position, count = follow(app, _TOPICS, self.position, self.apply)
        return count

    def apply(self, event: DomainEventProtocol[UUID]) -> None:
        """Files what one event says about who resembles whom; other events are ignored."""
        cid = event.originator_id
        if isinstance(event, Customer.Registered):
            if not self._settled(cid):
                record = {name: getattr(event, name) for name in RECORD_FIELDS}
                self.index.put(cid, cid, record_profile(record))
        elif isinstance(event, DuplicateAttempt.Blocked):
            if not self._settled(cid):
                self.index.put(cid, event.existing_customer_id, record_profile(event.record))
        elif isinstance(event, Customer.RecordMerged):
            alias = merged_alias_id(cid, event.originator_version)
            self._settled(alias)
            self.index.put(alias, cid, record_profile(event.record))
            self._revise(cid, event.filled, None)
        elif isinstance(event, Customer.ContactDetailsCorrected):
            self._revise(cid, event.changes, None)
        elif isinstance(event, IdentityKeyIndex.DeclaredGeneric):
            self.generic.add(IdentityKey.from_label(event.key))
        elif isinstance(event, customer_merges.MergedInto):
            self._merged_into[cid] = event.survivor_id
        elif isinstance(event, customer_merges.Restored):
            self._merged_into.pop(cid, None)
        elif isinstance(event, customer_merges.Absorbed):
            self._revise(cid, event.filled, None)
        elif isinstance(event, customer_merges.SplitOff):
            self._revise(cid, dict.fromkeys(event.reverted), None)
        elif isinstance(event, GroupMembership.Joined):
            self.groups.joined(
                event.customer_id, event.group_id, self.own_profile(event.customer_id)
            )
        elif isinstance(event, GroupMembership.Left):
            self.groups.left(event.customer_id)
        elif isinstance(event, Customer.IdentityKeyAdded | Customer.IdentityKeyRemoved):
            key = IdentityKey(KeyKind(event.kind), event.value)
            added = isinstance(event, Customer.IdentityKeyAdded)
            self._revise(cid, {}, (key, added))

    def _settled(self, entry_id: UUID) -> bool:
        """True if the entry was already filed provisionally by this process."""
        if entry_id in self._provisional:
            self._provisional.discard(entry_id)
            return True
        return False

    def _revise(
        self, customer_id: UUID, details: Mapping[str, Any], key: tuple[IdentityKey, bool] | None
    ) -> None:
        """Applies changed details (and a key gained or lost) to the customer's own entry.

        A removed key also leaves every alias standing for the customer: whoever
        removed it said it no longer identifies this customer, so an old refused
        record that carried it must not keep blocking the key's next holder.
        """
        removed = key[0] if key is not None and not key[1] else None
        for entry in self._entries_standing_for(customer_id, aliases=removed is not None):
            old = entry.profile
            keys = set(old.keys)
            own = entry.entry_id == customer_id
            if key is not None and (own or removed is not None):
                (keys.add if key[1] else keys.discard)(key[0])
            # A detail named in ``details`` replaces the old one, even by None (a split
            # empties what its merge had filled); aliases keep their own details.
            profile = old.revised(details if own else None, keys)
            self.index.put(entry.entry_id, entry.customer_id, profile)
            if own:
                self.groups.refresh(customer_id, profile)

    def _entries_standing_for(self, customer_id: UUID, *, aliases: bool) -> list[IndexEntry]:
        if not aliases:
            return [e for e in self.index.entries_of(customer_id) if e.entry_id == customer_id]
        merged = [t for t in self._merged_into if self.survivor_of(t) == customer_id]
        return [e for cid in (customer_id, *merged) for e in self.index.entries_of(cid)]

    def survivor_of(self, customer_id: UUID) -> UUID:
        """The live customer ``customer_id`` stands for, as far as the log has been read."""
        seen = {customer_id}
        while (next_id := self._merged_into.get(customer_id)) is not None and next_id not in seen:
            seen.add(next_id)
            customer_id = next_id
        return customer_id

    def own_profile(self, customer_id: UUID) -> MatchProfile | None:
        """The customer's profile as its own entry holds it (aliases aside)."""
        for entry in self.index.entries_of(customer_id):
            if entry.entry_id == customer_id:
                return entry.profile
        return None

    def display_name(self, customer_id: UUID) -> str | None:
        """The customer's company name, else contact name, as its own entry holds it."""
        profile = self.own_profile(customer_id)
        name = profile and (profile.company or profile.contact)
        return name.raw if name else None

    # -- provisional entries of a batch being decided -------------------------------

    def file_provisionally(self, entry_id: UUID, customer_id: UUID, profile: MatchProfile) -> None:
        self._provisional.add(entry_id)
        self.index.put(entry_id, customer_id, profile)

    def declare_generic(self, key: IdentityKey) -> None:
        """Treats ``key`` as generic from now on (its event is being saved)."""
        self.generic.add(key)

    def forget_provisional(
        self, entry_ids: Iterable[UUID], generic: Iterable[IdentityKey] = ()
    ) -> None:
        """Drops entries (and generic declarations) of a batch whose save failed."""
        self.generic.difference_update(generic)
        for entry_id in entry_ids:
            if entry_id in self._provisional:
                self._provisional.discard(entry_id)
                self.index.discard(entry_id)

    # -- deciding ------------------------------------------------------------------

    def matches(
        self, profile: MatchProfile, held_by: Mapping[UUID, Iterable[str]]
    ) -> list[CandidateMatch]:
        """Every customer resembling ``profile``, best entry per customer, classified."""
        if self.generic and not self.generic.isdisjoint(profile.keys):
            profile = profile.revised(keys=[k for k in profile.keys if k not in self.generic])
        best: dict[UUID, CandidateMatch] = {}
        own_keys = frozenset(profile.keys)
        for entry in self.index.candidates(profile):
            match = self._classify(profile, own_keys, entry)
            current = best.get(match.customer_id)
            if current is None or _stronger(match, current):
                best[match.customer_id] = match
        for customer_id, labels in held_by.items():
            current = best.get(customer_id)
            features = dict(current.features) if current else {}
            features["exact_key"] = 1.0
            rule = self._rules.first(features)
            best[customer_id] = CandidateMatch(
                customer_id,
                pair_score(features),
                features,
                rule.name if rule else None,
                rule.action if rule else None,
                tuple(sorted(labels)),
            )
        floor = self.config.candidate_floor
        return [m for m in best.values() if m.rule is not None or m.score >= floor]

    def _classify(
        self, profile: MatchProfile, own_keys: frozenset[IdentityKey], entry: IndexEntry
    ) -> CandidateMatch:
        shared = tuple(sorted(k.label for k in entry.profile.keys if k in own_keys))
        features = compare(profile, entry.profile, self._weights, bool(shared))
        rule = self._rules.first(features)
        return CandidateMatch(
            self.survivor_of(entry.customer_id),
            pair_score(features),
            features,
            rule.name if rule else None,
            rule.action if rule else None,
            shared,
        )

    def check(
        self, profile: MatchProfile, held_by: Mapping[UUID, Iterable[str]], mode: DedupMode
    ) -> IdentityDecision:
        """The decision for one record on an entry path whose mode is ``mode``."""
        return decide(self.matches(profile, held_by), mode, self._rule_set_version, held_by.keys())

    def group_evidence(
        self, profile: MatchProfile, matches: Iterable[CandidateMatch]
    ) -> dict[UUID, dict[str, Any]]:
        """Grouped customers a record resembles, each with why: a candidate of the
        check (its score and rule), else a shared brand."""
        evidence: dict[UUID, dict[str, Any]] = {}
        for match in matches:
            if self.groups.group_of(match.customer_id) is not None:
                evidence[match.customer_id] = {
                    "evidence": "similar",
                    "score": match.score,
                    "rule": match.rule,
                }
        brand = self.groups.brand(profile)
        for customer_id in sorted(self.groups.carrying(brand), key=str):
            evidence.setdefault(customer_id, {"evidence": "brand", "brand": brand})
        return evidence


def _stronger(a: CandidateMatch, b: CandidateMatch) -> bool:
    return (a.strength, a.score) > (b.strength, b.score)
