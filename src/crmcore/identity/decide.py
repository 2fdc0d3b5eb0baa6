"""Stage 6, decide: the rules say which candidates are duplicates, the mode what to do.

A decision is data: the outcome, the rule that fired, the rule-set version that was in
force, and every candidate with its score and features - enough to explain the answer
to a rep and to replay it for an auditor.

Exact keys are the uniqueness invariant, not a preference: a key has one holder, so a
record whose exact key is held is never created, whatever the mode - ``warn`` turns
only fuzzy block rules into warnings, and ``merge`` attaches the record to the holder.
The holder decides before any fuzzy candidate is ranked: a name that resembles another
customer better never displaces the customer that holds the record's key. A record
whose keys are held by two different customers joins two customers; it is refused in
every mode (rule ``exact_key_conflict``) and both holders are named.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from crmcore.config import DedupMode, MatchRule

Outcome = Literal["created", "blocked", "warned", "merged"]
EXACT_KEY_RULE = "exact_key"
KEY_CONFLICT_RULE = "exact_key_conflict"
_ACTION_STRENGTH: dict[str | None, int] = {"block": 2, "warn": 1, None: 0}


@dataclass(frozen=True)
class CandidateMatch:
    """One existing customer compared with the record, and what the rules made of it."""

    customer_id: UUID
    score: float
    features: dict[str, float]
    rule: str | None = None
    action: Literal["block", "warn"] | None = None
    shared_keys: tuple[str, ...] = ()

    @property
    def strength(self) -> int:
        """How strongly the rules call it a duplicate: block 2, warn 1, no rule 0."""
        return _ACTION_STRENGTH[self.action]

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "score": self.score,
            "features": dict(sorted(self.features.items())),
            "rule": self.rule,
            "action": self.action,
            "shared_keys": list(self.shared_keys),
        }


@dataclass(frozen=True)
class IdentityDecision:
    """What the identity check decided for one record, with its explanation."""

    outcome: Outcome
    rule_set_version: str
    rule: str | None = None
    target: UUID | None = None
    matches: tuple[CandidateMatch, ...] = field(default=())
    # Customers holding one of the record's exact keys, target first; two or more
    # is a conflict (rule ``exact_key_conflict``).
    holders: tuple[UUID, ...] = field(default=())

    @property
    def matched_customer_ids(self) -> tuple[UUID, ...]:
        """Customers a rule called a duplicate, strongest first."""
        return tuple(m.customer_id for m in self.matches if m.rule is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rule": self.rule,
            "rule_set_version": self.rule_set_version,
            "target": str(self.target) if self.target else None,
            "holders": [str(holder) for holder in self.holders],
            "matches": [m.to_dict() for m in self.matches],
        }


class RuleBook:
    """The rules in order, their conditions unpacked once: a scan classifies millions
    of pairs, and re-reading each rule's mapping per pair was a third of the check."""

    def __init__(self, rules: Iterable[MatchRule]) -> None:
        self._rules = tuple(
            (rule, tuple(rule.when.items()), tuple(rule.unless.items())) for rule in rules
        )

    def first(self, features: dict[str, float]) -> MatchRule | None:
        """The first rule whose every condition holds (a feature absent fails) and none
        of whose vetoes does (a feature absent does not veto), or None."""
        get = features.get
        for rule, conditions, vetoes in self._rules:
            for name, minimum in conditions:
                if get(name, -1.0) < minimum:
                    break
            else:
                for name, minimum in vetoes:
                    if get(name, -1.0) >= minimum:
                        break
                else:
                    return rule
        return None


def weight_of_evidence(
    match: CandidateMatch,
) -> tuple[int, float, tuple[tuple[str, float], ...], tuple[str, ...], str]:
    """A total order of the evidence two entries give for one customer (its own profile
    and an alias, say): the stronger is kept, and ties never depend on which entry the
    index happened to list first."""
    features = tuple(sorted(match.features.items()))
    return (match.strength, match.score, features, match.shared_keys, match.rule or "")


def _rank(match: CandidateMatch) -> tuple[int, float, str]:
    return (-match.strength, -match.score, str(match.customer_id))


def decide(
    matches: Iterable[CandidateMatch],
    mode: DedupMode,
    rule_set_version: str,
    holders: Collection[UUID] = (),
) -> IdentityDecision:
    """The outcome for a record given its classified candidates and the entry path's mode.

    ``holders`` are the customers that hold one of the record's exact keys now (the
    key-index aggregates' race-free answer); each must be among ``matches``. They
    decide first. Otherwise candidates are ranked block before warn, then by score,
    then by id, so the same candidates always give the same decision whatever order
    they were found in.
    """
    ranked = tuple(sorted(matches, key=_rank))
    if holders:
        return _decide_by_holders(ranked, mode, rule_set_version, holders)
    best = ranked[0] if ranked else None
    if best is None or best.action is None:
        return IdentityDecision("created", rule_set_version, matches=ranked)
    if best.action == "warn":
        return IdentityDecision("warned", rule_set_version, best.rule, matches=ranked)
    exact = best.rule == EXACT_KEY_RULE or best.features.get("exact_key") == 1.0
    if mode is DedupMode.MERGE:
        outcome: Outcome = "merged"
    elif mode is DedupMode.WARN and not exact:
        outcome = "warned"
    else:
        outcome = "blocked"
    target = None if outcome == "warned" else best.customer_id
    return IdentityDecision(outcome, rule_set_version, best.rule, target, ranked)


def _decide_by_holders(
    ranked: tuple[CandidateMatch, ...],
    mode: DedupMode,
    rule_set_version: str,
    holders: Collection[UUID],
) -> IdentityDecision:
    """A held key decides: the holders lead the explanation, in the same rank order."""
    held = tuple(m for m in ranked if m.customer_id in holders)
    if len(held) != len(set(holders)):
        raise ValueError("every holder must be among the matches")
    ordered = held + tuple(m for m in ranked if m.customer_id not in holders)
    holder_ids = tuple(m.customer_id for m in held)
    if len(held) > 1:
        return IdentityDecision(
            "blocked", rule_set_version, KEY_CONFLICT_RULE, holder_ids[0], ordered, holder_ids
        )
    outcome: Outcome = "merged" if mode is DedupMode.MERGE else "blocked"
    return IdentityDecision(
        outcome, rule_set_version, EXACT_KEY_RULE, holder_ids[0], ordered, holder_ids
    )
