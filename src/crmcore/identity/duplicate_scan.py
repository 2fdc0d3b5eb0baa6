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
    pairs = [
        DuplicatePair(
            customer_a=a,
            customer_b=b,
            score=round(match.score, 4),
            features={name: round(value, 4) for name, value in match.features.items()},
            rule=match.rule,
            suggested_action=_SUGGESTION[match.action],
            shared_keys=match.shared_keys,
        )
        for (a, b), match in best.items()
    ]
    pairs.sort(key=lambda p: (-p.score, str(p.customer_a), str(p.customer_b)))
    return pairs
