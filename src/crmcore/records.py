"""Read-only answers the application gives: snapshots a caller may keep and show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.domain import Customer
from crmcore.errors import DuplicateCustomer
from crmcore.grouping import GroupCollision
from crmcore.identity import KeyKind
from crmcore.identity.decide import IdentityDecision, Outcome


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as it stands at ``version``; never a live aggregate.

    ``merged_into`` is set on a tombstone (it names the survivor); ``absorbed`` lists
    the customers merged into this one.
    """

    customer_id: UUID
    version: int
    company_name: str | None
    contact_name: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    usccs: tuple[str, ...]
    wechats: tuple[str, ...]
    region: str | None
    industry: str | None
    source: str | None
    external_id: str | None
    registered_by: str
    registered_at: datetime
    modified_at: datetime
    merged_into: UUID | None = None
    absorbed: tuple[UUID, ...] = ()

    @classmethod
    def of(cls, customer: Customer) -> CustomerRecord:
        return cls(
            customer_id=customer.id,
            version=customer.version,
            company_name=customer.company_name,
            contact_name=customer.contact_name,
            phones=customer.keys_of(KeyKind.PHONE),
            emails=customer.keys_of(KeyKind.EMAIL),
            usccs=customer.keys_of(KeyKind.USCC),
            wechats=customer.keys_of(KeyKind.WECHAT),
            region=customer.region,
            industry=customer.industry,
            source=customer.source,
            external_id=customer.external_id,
            registered_by=customer.registered_by,
            registered_at=customer.registered_at,
            modified_at=customer.modified_on,
            merged_into=customer.merged_into,
            absorbed=tuple(customer.absorptions),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm customer show --json`` prints it."""
        return {
            "customer_id": str(self.customer_id),
            "version": self.version,
            "company_name": self.company_name,
            "contact_name": self.contact_name,
            "phones": list(self.phones),
            "emails": list(self.emails),
            "usccs": list(self.usccs),
            "wechats": list(self.wechats),
            "region": self.region,
            "industry": self.industry,
            "source": self.source,
            "external_id": self.external_id,
            "registered_by": self.registered_by,
            "registered_at": self.registered_at.isoformat(),
            "modified_at": self.modified_at.isoformat(),
            "merged_into": str(self.merged_into) if self.merged_into else None,
            "absorbed": [str(cid) for cid in self.absorbed],
        }


@dataclass(frozen=True)
class RegistrationResult:
    """How one command of a batched registration ended, reported on its own.

    ``customer_id`` is the new customer (created, warned) or the existing one (blocked,
    merged); ``decision`` explains the identity check's answer. ``group_collisions``
    lists the groups a new customer looks part of whose members other reps own.
    """

    position: int
    decision: IdentityDecision
    customer_id: UUID
    refusal: DuplicateCustomer | None = field(default=None)
    group_collisions: tuple[GroupCollision, ...] = field(default=())

    @property
    def outcome(self) -> Outcome:
        return self.decision.outcome
