"""The batch scan: suspected duplicate pairs among customers that already exist.

The entry check sees one record against the store. Records that got in before the
rules existed (or were entered in warn mode, or raced each other through the fuzzy
check - see docs/identity.md) are found here instead: every entry of the candidate
index is matched against the rest, exactly as a new record would be, and each pair of
live customers is reported once with its best evidence and a suggested action.

The result is a pure function of the event log and the identity config, so a rebuilt
report is identical to the one it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from crmcore.identity.check import IdentityChecker
from crmcore.identity.decide import CandidateMatch, weight_of_evidence
from crmcore.identity.memory_index import MemoryIndex

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


def scan_duplicates(checker: IdentityChecker) -> list[DuplicatePair]:
    """Every suspected pair, strongest first (then by ids, so the order is stable).

    The checker is caught up with the log first; pairs below the config's candidate
    floor are not reported. The whole pass runs on a copy of the candidate index in
    memory, loaded from the source's stored profiles (none is rebuilt): a million
    look-ups are cheaper there than a million queries.
    """
    checker.catch_up()
    config = checker.config
    index = MemoryIndex.loaded(
        checker.source.contents(), config.max_block_size, config.group_brand_chars
    )
    whole = IdentityChecker(config, index)
    best: dict[tuple[UUID, UUID], CandidateMatch] = {}
    for entry in index.index.entries():
        own = whole.survivor_of(entry.customer_id)
        for match in whole.matches(entry.profile, {}):
            other = match.customer_id
            if other == own:
                continue
            pair = (own, other) if str(own) < str(other) else (other, own)
            current = best.get(pair)
            if current is None or weight_of_evidence(match) > weight_of_evidence(current):
                best[pair] = match
    pairs = [_pair(a, b, match) for (a, b), match in best.items()]
    pairs.sort(key=lambda p: (-p.score, str(p.customer_a), str(p.customer_b)))
    return pairs


def pairs_of(checker: IdentityChecker, customer_id: UUID) -> list[DuplicatePair]:
    """The pairs :func:`scan_duplicates` would report for one live customer, asked of
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
    best: dict[UUID, CandidateMatch] = {}
    neighbours: set[UUID] = set()
    for entry in own_entries:
        for match in checker.matches(entry.profile, {}, everyone=True):
            other = match.customer_id
            if other == customer_id:
                continue
            neighbours.add(other)
            if match.rule is not None or match.score >= checker.config.candidate_floor:
                _keep(best, other, match)
    for other in sorted(neighbours, key=str):
        for entry in source.entries_for(other):
            for match in checker.matches(entry.profile, {}):
                if match.customer_id == customer_id:
                    _keep(best, other, match)
    pairs = []
    for other, match in best.items():
        a, b = (customer_id, other) if str(customer_id) < str(other) else (other, customer_id)
        pairs.append(_pair(a, b, match))
    pairs.sort(key=lambda p: (-p.score, str(p.customer_a), str(p.customer_b)))
    return pairs


def _keep(best: dict[UUID, CandidateMatch], other: UUID, match: CandidateMatch) -> None:
    current = best.get(other)
    if current is None or weight_of_evidence(match) > weight_of_evidence(current):
        best[other] = match


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
