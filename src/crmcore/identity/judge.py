"""One pair of profiles compared and judged by the rules: the function every path shares.

The entry check (:class:`~crmcore.identity.check.IdentityChecker`) judges a record
against each candidate with it, and so does the batch duplicate scan, whatever engine
generated its candidate pairs: a pair the scan calls "merge" is one registration would
have blocked, because it is the same code that says so.
"""

from __future__ import annotations

from uuid import UUID

from crmcore.config import IdentityConfig
from crmcore.identity.compare import compare
from crmcore.identity.decide import CandidateMatch, RuleBook
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import MatchProfile
from crmcore.identity.score import pair_score


class PairJudge:
    """The comparison weights and the rule book of one identity config."""

    def __init__(self, config: IdentityConfig) -> None:
        # Both derived from the frozen config once, not per comparison.
        self._weights = config.weights
        self._rules = RuleBook(config.rules)

    def classify(
        self,
        profile: MatchProfile,
        own_keys: frozenset[IdentityKey],
        other: MatchProfile,
        customer_id: UUID,
    ) -> CandidateMatch:
        """``profile`` (whose exact keys are ``own_keys``) against ``other``, a profile
        standing for ``customer_id``: the features, the score and the first rule."""
        shared = tuple(sorted(k.label for k in other.keys if k in own_keys))
        return self._match(
            customer_id, compare(profile, other, self._weights, bool(shared)), shared
        )

    def held(
        self, current: CandidateMatch | None, customer_id: UUID, labels: tuple[str, ...]
    ) -> CandidateMatch:
        """The match for a customer holding one of the record's exact keys: its best
        entry's features (if it was a candidate at all) with the exact key set."""
        features = dict(current.features) if current else {}
        features["exact_key"] = 1.0
        return self._match(customer_id, features, labels)

    def _match(
        self, customer_id: UUID, features: dict[str, float], shared: tuple[str, ...]
    ) -> CandidateMatch:
        rule = self._rules.first(features)
        return CandidateMatch(
            customer_id,
            pair_score(features),
            features,
            rule.name if rule else None,
            rule.action if rule else None,
            shared,
        )
