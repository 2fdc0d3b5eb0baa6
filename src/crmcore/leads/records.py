"""What lead commands and queries return: plain, JSON-ready values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.domain.lead import Lead
from crmcore.domain.lead_touch import Touch
from crmcore.identity.decide import IdentityDecision


@dataclass(frozen=True)
class CaptureResult:
    """How one capture ended.

    ``outcome``: ``created`` (a new lead), ``joined_lead`` (a touch on the lead of record,
    ``lead_id``), ``joined_customer`` (a touch on an existing customer, ``customer_id``)
    or ``unchanged`` (the same arrival was captured before; nothing recorded).
    ``route``: ``assign`` (given to ``owner`` by the assignment rules
    now), ``owner`` (it already had one, ``owner``) or ``pool``. ``score`` and ``terms``
    are the lead's score and its explanation (None for a customer's touch).
    """

    outcome: str
    lead_id: UUID | None
    customer_id: UUID | None
    touches: int
    score: int | None
    route: str
    owner: str | None
    decision: IdentityDecision
    terms: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm lead capture --json`` prints it."""
        found: dict[str, Any] = (
            {"lead_id": str(self.lead_id)}
            if self.lead_id is not None
            else {"customer_id": str(self.customer_id)}
        )
        return {
            **found,
            "outcome": self.outcome,
            "touches": self.touches,
            "score": self.score,
            "route": self.route,
            "owner": self.owner,
            "terms": list(self.terms),
            "identity": self.decision.to_dict(),
        }


@dataclass(frozen=True)
class LeadRecord:
    """A lead as it stands now: details, keys, every touch, score, owner, and the
    customer it became (``converted_to``)."""

    lead_id: UUID
    version: int
    company_name: str | None
    contact_name: str | None
    region: str | None
    industry: str | None
    keys: tuple[str, ...]
    touches: tuple[Touch, ...]
    score: int | None
    terms: tuple[dict[str, Any], ...]
    route: str | None
    owner: str | None
    converted_to: UUID | None = None
    erased_at: datetime | None = None

    @classmethod
    def of(cls, lead: Lead, owner: str | None) -> LeadRecord:
        return cls(
            lead_id=lead.id,
            version=lead.version,
            company_name=lead.company_name,
            contact_name=lead.contact_name,
            region=lead.region,
            industry=lead.industry,
            keys=tuple(key.label for key in lead.identity_keys),
            touches=lead.touches,
            score=lead.score,
            terms=lead.score_terms,
            route=lead.route,
            owner=owner,
            converted_to=lead.converted_to,
            erased_at=lead.erased_at,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm lead show --json`` prints it."""
        return {
            "lead_id": str(self.lead_id),
            "version": self.version,
            "company_name": self.company_name,
            "contact_name": self.contact_name,
            "region": self.region,
            "industry": self.industry,
            "keys": list(self.keys),
            "touches": [touch.to_dict() for touch in self.touches],
            "score": self.score,
            "terms": list(self.terms),
            "route": self.route,
            "owner": self.owner,
            "converted_to": str(self.converted_to) if self.converted_to else None,
            "erased_at": self.erased_at.isoformat() if self.erased_at else None,
        }
