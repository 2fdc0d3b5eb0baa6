"""The identity check every entry path calls: candidates from the index, rules, decision.

:class:`IdentityChecker` asks a :class:`~crmcore.identity.candidates.CandidateSource`
(the persisted identity view, or an in-memory index on the in-memory store) for the
customers a record resembles, and turns them into an
:class:`~crmcore.identity.decide.IdentityDecision`. Before a command decides, the
application calls :meth:`IdentityChecker.catch_up`, so customers written by other
processes are seen; exact keys are then checked against the key-index aggregates,
which is what keeps them race-free.

Records decided earlier in the same batch are filed in a small in-memory *batch
index* on top of the source: visible to the rest of the batch, and dropped when the
batch ends (saved or not) - once saved, the source files them from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from crmcore.config import DedupMode, IdentityConfig
from crmcore.identity import IdentityKey
from crmcore.identity.candidates import CandidateIndex, CandidateSource, IndexEntry, group_brand
from crmcore.identity.decide import CandidateMatch, IdentityDecision, decide, weight_of_evidence
from crmcore.identity.judge import PairJudge
from crmcore.identity.profile import MatchProfile


class IdentityChecker:
    """The candidate source plus the rules; one per application."""

    def __init__(self, config: IdentityConfig, source: CandidateSource) -> None:
        self.config = config
        self.source = source
        self._rule_set_version = config.rule_set_version
        self.judge = PairJudge(config)
        self._batch = CandidateIndex(config.max_block_size, config.typo_block_size)
        self._batch_generic: set[IdentityKey] = set()

    @property
    def position(self) -> int | None:
        """How far into the log the candidate source has read."""
        return self.source.position

    def catch_up(self) -> int:
        """Brings the candidate source to the head of the log; returns events read."""
        return self.source.catch_up()

    def close(self) -> None:
        self.source.close()

    def survivor_of(self, customer_id: UUID) -> UUID:
        """The live customer ``customer_id`` stands for, as far as the log has been read."""
        return self.source.survivors([customer_id]).get(customer_id, customer_id)

    def own_profile(self, customer_id: UUID) -> MatchProfile | None:
        """The customer's profile as its own entry holds it (aliases aside)."""
        return self.source.own_profile(customer_id)

    # -- the batch being decided ---------------------------------------------------

    def begin_batch(self, profiles: Sequence[MatchProfile]) -> None:
        """Announces the records about to be checked (after ``catch_up``), so the
        source can fetch their candidates together."""
        chars = self.config.group_brand_chars
        cores = (p.company.core for p in profiles if p.company is not None)
        brands = {brand for core in cores if (brand := group_brand(core, chars))}
        self.source.prepare(profiles, brands)

    def file_provisionally(self, entry_id: UUID, customer_id: UUID, profile: MatchProfile) -> None:
        """Makes a record decided in this batch visible to the rest of the batch."""
        self._batch.put(entry_id, customer_id, profile)

    def declare_generic(self, key: IdentityKey) -> None:
        """Treats ``key`` as generic for the rest of the batch (its event is being saved)."""
        self._batch_generic.add(key)

    def end_batch(self) -> None:
        """Forgets the batch's own entries: saved, the log has them; failed, nobody does."""
        self.source.release()
        if len(self._batch) or self._batch_generic:
            self._batch = CandidateIndex(self.config.max_block_size, self.config.typo_block_size)
            self._batch_generic = set()

    # -- deciding ------------------------------------------------------------------

    def matches(
        self,
        profile: MatchProfile,
        held_by: Mapping[UUID, Iterable[str]],
        *,
        everyone: bool = False,
    ) -> list[CandidateMatch]:
        """Every customer resembling ``profile``, best entry per customer, classified;
        with ``everyone``, also those below the candidate floor (each customer sharing
        a block: the duplicate report asks them the question the other way round)."""
        generic = self.source.generic_among(profile.keys) if profile.keys else set()
        generic.update(self._batch_generic.intersection(profile.keys))
        profile = profile.without(generic)
        best: dict[UUID, CandidateMatch] = {}
        own_keys = frozenset(profile.keys)
        entries = self.source.candidates(profile)
        if len(self._batch):
            entries += self._batch.candidates(profile)
        survivors = self.source.survivors({entry.customer_id for entry in entries})
        for entry in entries:
            match = self._classify(profile, own_keys, entry, survivors)
            current = best.get(match.customer_id)
            if current is None or weight_of_evidence(match) > weight_of_evidence(current):
                best[match.customer_id] = match
        for customer_id, labels in held_by.items():
            best[customer_id] = self.judge.held(
                best.get(customer_id), customer_id, tuple(sorted(labels))
            )
        floor = self.config.candidate_floor
        return [m for m in best.values() if everyone or m.rule is not None or m.score >= floor]

    def _classify(
        self,
        profile: MatchProfile,
        own_keys: frozenset[IdentityKey],
        entry: IndexEntry,
        survivors: Mapping[UUID, UUID],
    ) -> CandidateMatch:
        customer_id = survivors.get(entry.customer_id, entry.customer_id)
        return self.judge.classify(profile, own_keys, entry.profile, customer_id)

    def check(
        self, profile: MatchProfile, held_by: Mapping[UUID, Iterable[str]], mode: DedupMode
    ) -> IdentityDecision:
        """The decision for one record on an entry path whose mode is ``mode``."""
        return decide(self.matches(profile, held_by), mode, self._rule_set_version, held_by.keys())

    def group_evidence(
        self, profile: MatchProfile, matches: Iterable[CandidateMatch]
    ) -> dict[UUID, tuple[UUID, dict[str, Any]]]:
        """Grouped customers a record resembles, each with its group and why: a
        candidate of the check (its score and rule), else a shared brand."""
        company = profile.company
        brand = group_brand(company.core if company else None, self.config.group_brand_chars)
        by_brand = self.source.grouped_under(brand) if brand else set()
        matches = list(matches)
        groups = self.source.groups_of({m.customer_id for m in matches} | by_brand)
        evidence: dict[UUID, tuple[UUID, dict[str, Any]]] = {}
        for match in matches:
            if match.customer_id in groups:
                why = {"evidence": "similar", "score": match.score, "rule": match.rule}
                evidence[match.customer_id] = (groups[match.customer_id], why)
        for customer_id in sorted(by_brand, key=str):
            if customer_id in groups:
                why = {"evidence": "brand", "brand": brand}
                evidence.setdefault(customer_id, (groups[customer_id], why))
        return evidence
