"""The batch scan: suspected duplicate pairs among customers that already exist.

The entry check sees one record against the store. Records that got in before the
rules existed (or were entered in warn mode, or raced each other through the fuzzy
check - see docs/identity.md) are found here instead: every entry of the candidate
index is matched against the rest, exactly as a new record would be, and each pair of
live customers the rules call duplicates is reported once with its best evidence and a
suggested action. Pairs no rule fires on are counted, not kept: nobody acts on them.

A scan engine (DuckDB, Spark: ``adapters.duplicate_scan``) generates the candidate
pairs and screens them (:mod:`crmcore.identity.pair_screen`); :func:`judge_pairs`
decides the rest with the entry path's judge. :func:`scan_duplicates` is the same scan
done entry by entry in memory: the reference the engines are tested against.

The result is a pure function of the event log and the identity config, so a rebuilt
report is identical to the one it replaces.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from crmcore.domain.duplicate_dismissal import ordered_pair
from crmcore.identity.check import IdentityChecker
from crmcore.identity.decide import CandidateMatch, weight_of_evidence
from crmcore.identity.judge import PairJudge
from crmcore.identity.keys import IdentityKey
from crmcore.identity.memory_index import MemoryIndex
from crmcore.identity.profile import MatchProfile

SuggestedAction = Literal["merge", "review", "ignore"]

# What a person should do with a pair, from the action of the rule that fired: a pair
# the entry check would refuse is one customer (merge); one it would let in with a
# warning needs a look (review); a pair no rule fires on only resembles (ignore).
_SUGGESTION: dict[str | None, SuggestedAction] = {
    "block": "merge",
    "warn": "review",
    None: "ignore",
}


@dataclass(frozen=True)
class DuplicatePair:
    """Two live customers that resemble each other; ``customer_a`` sorts first."""

    customer_a: UUID
    customer_b: UUID
    score: float
    features: dict[str, float]
    rule: str | None
    suggested_action: SuggestedAction
    shared_keys: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_a": str(self.customer_a),
            "customer_b": str(self.customer_b),
            "score": self.score,
            "features": self.features,
            "rule": self.rule,
            "suggested_action": self.suggested_action,
            "shared_keys": list(self.shared_keys),
        }


@dataclass(frozen=True)
class ScanOutcome:
    """What a whole-book scan found: the pairs worth a look (merge or review), strongest
    first, and how many compared pairs no rule fired on (counted, never stored)."""

    pairs: list[DuplicatePair]
    ignored: int
    engine: str = "memory"
    # Seconds per stage, in the order they ran (the CLI's summary prints them).
    stages: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Pairs per suggested action."""
        return {**by_action(self.pairs), "ignore": self.ignored}


def by_action(pairs: Iterable[DuplicatePair]) -> dict[str, int]:
    """How many of ``pairs`` suggest merge, how many review."""
    counts = {"merge": 0, "review": 0}
    for pair in pairs:
        counts[pair.suggested_action] += 1
    return counts


@dataclass(frozen=True)
class EntryPair:
    """The profiles of two index entries of different live customers that share a
    blocking key, and the customers they stand for.

    ``forward``: ``a``'s profile, its generic keys set aside, looked up ``b`` - what an
    entry check of ``a`` would compare; ``backward`` the other way round. Only a profile
    holding a generic key makes the two differ (its look-up keys are fewer).
    """

    a: MatchProfile
    customer_a: UUID
    b: MatchProfile
    customer_b: UUID
    forward: bool = True
    backward: bool = True


def judge_pairs(
    judge: PairJudge, pairs: Iterable[EntryPair], generic: Collection[IdentityKey]
) -> list[DuplicatePair]:
    """The pairs the rules call duplicates, one per pair of customers (its strongest
    evidence over their entries and both directions), strongest first.

    Each direction is judged as the entry check would judge it: the looking profile
    without its generic keys, against the other's profile as filed.
    """
    best: dict[tuple[UUID, UUID], CandidateMatch] = {}
    for pair in pairs:
        for looks, found, customer, present in (
            (pair.a, pair.b, pair.customer_b, pair.forward),
            (pair.b, pair.a, pair.customer_a, pair.backward),
        ):
            if not present:
                continue
            profile = looks.without(generic)
            match = judge.classify(profile, frozenset(profile.keys), found, customer)
            if match.rule is not None:
                _keep(best, ordered_pair(pair.customer_a, pair.customer_b), match)
            if not pair.a.holds_any(generic) and not pair.b.holds_any(generic):
                break  # the comparison is symmetric: the other direction says the same
    return _sorted([_pair(a, b, match) for (a, b), match in best.items()])


def scan_duplicates(checker: IdentityChecker) -> ScanOutcome:
    """The whole book scanned in memory, entry by entry, as an entry check would look:
    the reference every engine's scan is tested against (and the scan of a book on the
    in-memory store).

    The checker is caught up with the log first. The pass runs on a copy of the
    candidate index in memory, loaded from the source's stored profiles (none is
    rebuilt): a million look-ups are cheaper there than a million queries.
    """
    checker.catch_up()
    config = checker.config
    index = MemoryIndex.loaded(
        checker.source.contents(),
        config.max_block_size,
        config.group_brand_chars,
        config.typo_block_size,
    )
    whole = IdentityChecker(config, index)
    best: dict[tuple[UUID, UUID], CandidateMatch] = {}
    for entry in index.index.entries():
        own = whole.survivor_of(entry.customer_id)
        for match in whole.matches(entry.profile, {}, everyone=True):
            if match.customer_id != own:
                _keep(best, ordered_pair(own, match.customer_id), match)
    flagged = [_pair(a, b, match) for (a, b), match in best.items() if match.rule is not None]
    return ScanOutcome(_sorted(flagged), len(best) - len(flagged))


def pairs_of(checker: IdentityChecker, customer_id: UUID) -> list[DuplicatePair]:
    """The pairs a scan would report (merge or review) for one live customer, asked of
    the candidate source directly (as of its last catch-up): what keeps the report
    current without scanning the book again.

    A scan compares every entry with the rest, so a pair's evidence is the stronger of
    both directions. Here: each entry of the customer against its candidates, then each
    entry of every customer sharing a block (floor or not) against this one. Blocking is
    symmetric - two entries share a block or they do not - so no pair is missed.
    """
    source = checker.source
    if checker.survivor_of(customer_id) != customer_id:
        return []  # a tombstone: its pairs are its survivor's
    own_entries = source.entries_for(customer_id)
    if not own_entries:
        return []
    best: dict[tuple[UUID, UUID], CandidateMatch] = {}
    neighbours: set[UUID] = set()
    for entry in own_entries:
        for match in checker.matches(entry.profile, {}, everyone=True):
            other = match.customer_id
            if other == customer_id:
                continue
            neighbours.add(other)
            if match.rule is not None:
                _keep(best, ordered_pair(customer_id, other), match)
    for other in sorted(neighbours, key=str):
        for entry in source.entries_for(other):
            for match in checker.matches(entry.profile, {}):
                if match.customer_id == customer_id and match.rule is not None:
                    _keep(best, ordered_pair(customer_id, other), match)
    return _sorted([_pair(a, b, match) for (a, b), match in best.items()])


def _keep(
    best: dict[tuple[UUID, UUID], CandidateMatch], pair: tuple[UUID, UUID], match: CandidateMatch
) -> None:
    current = best.get(pair)
    if current is None or weight_of_evidence(match) > weight_of_evidence(current):
        best[pair] = match


def _sorted(pairs: list[DuplicatePair]) -> list[DuplicatePair]:
    pairs.sort(key=lambda p: (-p.score, str(p.customer_a), str(p.customer_b)))
    return pairs


def _pair(a: UUID, b: UUID, match: CandidateMatch) -> DuplicatePair:
    return DuplicatePair(
        customer_a=a,
        customer_b=b,
        score=round(match.score, 4),
        features={name: round(value, 4) for name, value in match.features.items()},
        rule=match.rule,
        suggested_action=_SUGGESTION[match.action],
        shared_keys=match.shared_keys,
    )
