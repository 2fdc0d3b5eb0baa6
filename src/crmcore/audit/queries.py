"""What an auditor asks, validated like every command: clear errors naming the field."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crmcore.clock import as_utc
from crmcore.ownership.commands import RepId


class AuditQuery(BaseModel):
    """Business time ``at`` (None: now) as known at ``as_known_at`` (None: everything
    recorded so far)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    at: datetime | None = None
    as_known_at: datetime | None = None

    @field_validator("at", "as_known_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


class OwnerAtQuery(AuditQuery):
    customer_id: UUID


class SettleDispute(AuditQuery):
    """Whose was the customer (or the order) at ``at``, among ``claimants``?"""

    customer_id: UUID | None = None
    order_id: UUID | None = None
    claimants: tuple[RepId, ...] = Field(min_length=1, max_length=20)

    @field_validator("claimants")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a claimant is named twice")
        return value

    @model_validator(mode="after")
    def _one_subject(self) -> SettleDispute:
        if (self.customer_id is None) == (self.order_id is None):
            raise ValueError("customer_id: name either a customer or an order (order_id), not both")
        return self
