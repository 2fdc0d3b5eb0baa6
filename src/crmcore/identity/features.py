"""What a rule may test and how the comparison weighs its middle levels.

Kept apart from :mod:`crmcore.identity.compare` so the settings (which validate rule
features and carry the weights) load without the comparison's libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURES = (
    "exact_key",
    "same_region",
    "company",
    "contact",
    "contact_surname",
    "phone_near",
    "email_sibling",
    "region_conflict",
    "trade_conflict",
)
"""Feature names a rule may test; docs/identity.md explains each."""


@dataclass(frozen=True)
class ComparisonWeights:
    """Values of the levels between "identical" and "edit distance" (from the config)."""

    homophone: float = 0.9
    region_conflict_factor: float = 0.9
    branch_factor: float = 0.9
