"""Who is in a group, and under which brand: the read model of the cross-group check.

Kept by the identity check (it folds the membership events with the rest of the log,
so it is rebuilt with the candidate index and catches up with it before a decision).
Only grouped customers are held - a few per group, not a million - with the brand
(字号) of each: the first ``brand_chars`` characters of its Chinese name core, region
and legal form already stripped, so 华为技术有限公司 and 华为终端有限公司 share 华为.
Latin names have no brand here; they reach group members through ordinary candidates.
"""

from __future__ import annotations

from uuid import UUID

from crmcore.identity.company import HAN_CHARACTER
from crmcore.identity.profile import MatchProfile


class GroupWatch:
    """Customer -> group, and brand -> grouped customers carrying it."""

    def __init__(self, brand_chars: int) -> None:
        self.brand_chars = brand_chars
        self._group_of: dict[UUID, UUID] = {}
        self._brand_of: dict[UUID, str] = {}
        self._by_brand: dict[str, set[UUID]] = {}

    def brand(self, profile: MatchProfile | None) -> str | None:
        """The brand a record is known by, or None (no Chinese company name, or off)."""
        company = profile.company if profile is not None else None
        if company is None or self.brand_chars == 0 or len(company.core) < self.brand_chars:
            return None
        prefix = company.core[: self.brand_chars]
        return prefix if all(HAN_CHARACTER.match(ch) for ch in prefix) else None

    def group_of(self, customer_id: UUID) -> UUID | None:
        return self._group_of.get(customer_id)

    def carrying(self, brand: str | None) -> frozenset[UUID]:
        """The grouped customers known by ``brand`` (none for no brand)."""
        return frozenset(self._by_brand.get(brand, ())) if brand else frozenset()

    def joined(self, customer_id: UUID, group_id: UUID, profile: MatchProfile | None) -> None:
        self._group_of[customer_id] = group_id
        self.refresh(customer_id, profile)

    def left(self, customer_id: UUID) -> None:
        self._group_of.pop(customer_id, None)
        self._forget_brand(customer_id)

    def refresh(self, customer_id: UUID, profile: MatchProfile | None) -> None:
        """Files the grouped customer under its brand as its name now reads."""
        if customer_id not in self._group_of:
            return
        self._forget_brand(customer_id)
        brand = self.brand(profile)
        if brand is not None:
            self._brand_of[customer_id] = brand
            self._by_brand.setdefault(brand, set()).add(customer_id)

    def _forget_brand(self, customer_id: UUID) -> None:
        brand = self._brand_of.pop(customer_id, None)
        if brand is not None:
            holders = self._by_brand[brand]
            holders.discard(customer_id)
            if not holders:
                del self._by_brand[brand]
