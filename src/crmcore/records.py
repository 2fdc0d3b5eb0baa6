"""Read-only answers the application gives: snapshots a caller may keep and show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.clock import iso
from crmcore.domain import Customer
from crmcore.domain.ownership import Ownership
from crmcore.errors import DuplicateCustomer
from crmcore.groups.trees import GroupCollision
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
    erased_at: datetime | None = None  # its personal data was erased on request then

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
            erased_at=customer.erased_at,
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
            "erased_at": self.erased_at.isoformat() if self.erased_at else None,
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


@dataclass(frozen=True)
class OwnershipRecord:
    """Who owns a customer now and on what terms; all None/empty when never owned."""

    customer_id: UUID
    owner: str | None = None
    owner_since: datetime | None = None
    protection: str | None = None
    protected_until: datetime | None = None
    respond_by: datetime | None = None
    collaborators: dict[str, float] = field(default_factory=dict)
    in_pool: bool = False
    pool_since: datetime | None = None
    pool_reason: str | None = None
    previous_owner: str | None = None
    cooldowns: dict[str, datetime] = field(default_factory=dict)
    open_opportunities: dict[str, str] = field(default_factory=dict)
    version: int = 0

    @classmethod
    def of(cls, customer_id: UUID, ownership: Ownership | None) -> OwnershipRecord:
        if ownership is None:
            return cls(customer_id)
        return cls(
            customer_id=customer_id,
            owner=ownership.owner,
            owner_since=ownership.owner_since,
            protection=ownership.protection,
            protected_until=ownership.protected_until,
            respond_by=ownership.respond_by,
            collaborators=dict(ownership.collaborators),
            in_pool=ownership.in_pool,
            pool_since=ownership.pool_since,
            pool_reason=ownership.pool_reason,
            previous_owner=ownership.previous_owner,
            cooldowns=dict(ownership.cooldowns),
            open_opportunities=dict(ownership.opportunities),
            version=ownership.version,
        )

    @property
    def status(self) -> str:
        if self.owner is not None:
            return "owned"
        return "in pool" if self.in_pool else "unassigned"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``crm customer owner --json`` prints it."""

        return {
            "customer_id": str(self.customer_id),
            "status": self.status,
            "owner": self.owner,
            "owner_since": iso(self.owner_since),
            "protection": self.protection,
            "protected_until": iso(self.protected_until),
            "respond_by": iso(self.respond_by),
            "collaborators": self.collaborators,
            "pool_since": iso(self.pool_since),
            "pool_reason": self.pool_reason,
            "previous_owner": self.previous_owner,
            "cooldowns": {rep: iso(until) for rep, until in sorted(self.cooldowns.items())},
            "open_opportunities": self.open_opportunities,
            "version": self.version,
        }
