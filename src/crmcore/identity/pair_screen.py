"""Which candidate pairs a scan engine may drop before the rules see them.

A batch scan meets tens of millions of candidate pairs at a million customers (every
pair sharing a blocking key); comparing each in Python would take the better part of an
hour. The engine (DuckDB, Spark) instead computes for every pair an *upper bound* of
each feature - exactly where that is cheap (equal strings, a shared key, a phone one
digit off), an edit-distance bound of the company similarity, 1.0 where only the full
comparison can tell - and keeps the pairs on which some rule could still fire. Those
alone go to :class:`~crmcore.identity.judge.PairJudge`, the entry path's own judge.

The screen is sound, never a second opinion: a pair it drops fires no rule under the
exact features, because every condition of a rule is a minimum (a bound below it
proves the feature is too) and a veto is applied only on a feature the engine computes
exactly. So the pairs the scan reports are exactly those the rules call duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crmcore.config import MatchRule

EXACT_FEATURES = frozenset(
    {"exact_key", "contact_surname", "trade_conflict", "phone_near", "email_sibling"}
)
"""Features a scan engine computes exactly, not as a bound: only their vetoes screen."""

BOUND_SLACK = 1e-4
"""Added to a bound before it is compared with a rule's minimum: features are rounded to
four places, and a float computed another way may differ in the last bits."""


@dataclass(frozen=True)
class Screen:
    """One rule as the engine tests it: ``when`` on feature bounds (an absent feature
    fails), ``vetoes`` on exact features (an absent feature does not veto)."""

    rule: str
    when: tuple[tuple[str, float], ...]
    vetoes: tuple[tuple[str, float], ...]


def screens(rules: Iterable[MatchRule]) -> tuple[Screen, ...]:
    """The rules as screens, in rule order (a pair passes if any screen holds).

    >>> from crmcore.config import DEFAULT_RULES
    >>> first = screens(DEFAULT_RULES)[1]
    >>> first.rule, first.when, first.vetoes
    ('same_company', (('company', 0.95),), (('trade_conflict', 1.0),))
    """
    return tuple(
        Screen(
            rule.name,
            tuple(rule.when.items()),
            tuple((name, value) for name, value in rule.unless.items() if name in EXACT_FEATURES),
        )
        for rule in rules
    )
