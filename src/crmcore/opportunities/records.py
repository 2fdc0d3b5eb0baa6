"""What opportunity commands and queries return: plain, JSON-ready values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.domain.opportunity import Opportunity


@dataclass(frozen=True)
class OpportunityRecord:
    """An opportunity as it stands now."""

    opportunity_id: UUID
    version: int
    customer_id: UUID
    owner: str
    title: str
    product_category: str
    need: str | None
    amount: str | None
    expected_close: str | None
    stage: str
    status: str
    details: dict[str, str]
    opened_at: datetime
    last_update_at: datetime
    suspected_duplicate_of: UUID | None

    @classmethod
    def of(cls, opportunity: Opportunity) -> OpportunityRecord:
        return cls(
            opportunity_id=opportunity.id,
            version=opportunity.version,
            customer_id=opportunity.customer_id,
            owner=opportunity.owner,
            title=opportunity.title,
            product_category=opportunity.product_category,
            need=opportunity.need,
            amount=opportunity.amount,
            expected_close=opportunity.expected_close,
            stage=opportunity.stage,
            status=opportunity.status,
            details=dict(opportunity.details),
            opened_at=opportunity.opened_at,
            last_update_at=opportunity.last_update_at,
            suspected_duplicate_of=opportunity.duplicate_of,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm opportunity show --json`` prints it."""
        return {
            "opportunity_id": str(self.opportunity_id),
            "version": self.version,
            "customer_id": str(self.customer_id),
            "owner": self.owner,
            "title": self.title,
            "product_category": self.product_category,
            "need": self.need,
            "amount": self.amount,
            "expected_close": self.expected_close,
            "stage": self.stage,
            "status": self.status,
            "details": dict(sorted(self.details.items())),
            "opened_at": self.opened_at.isoformat(),
            "last_update_at": self.last_update_at.isoformat(),
            "suspected_duplicate_of": (
                str(self.suspected_duplicate_of) if self.suspected_duplicate_of else None
            ),
        }
