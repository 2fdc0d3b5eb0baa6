"""The events an audit answer rests on, as an auditor reads them.

Each piece of evidence names the stored event exactly (aggregate id and version: the
store's primary key, so anyone can fetch it), gives both of its times and whether it
was back-dated, and its facts: the decision fields an auditor weighs (owner, rule,
protection deadline, shares, ...). Personal data (phones, names, what was entered)
is left out: an answer about ownership must not become a way to read contact details.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from crmcore.audit.bitemporal import backdated_by
from crmcore.clock import iso
from crmcore.domain.base import CrmEvent
from crmcore.event_catalogue import EVENT_TYPES

# The fields worth an auditor's reading; anything else (contact details, free text that
# may hold them) stays in the store.
FACT_FIELDS = (
    "owner",
    "previous_owner",
    "rule",
    "rule_set_version",
    "protection",
    "protected_until",
    "respond_by",
    "cause",
    "deadline",
    "cooldown_until",
    "handover",
    "to_customer_id",
    "supervisor",
    "shares",
    "rep",
    "channel",
    "next_contact_at",
    "status",
    "opportunity_id",
    "survivor_id",
    "absorbed_id",
    "routed_to",
    "entry_path",
    "customer_id",
    "amount",
    "currency",
    "order_no",
    "invoice_no",
    "payment_no",
    "credits",
    "credit_basis",
)


@dataclass(frozen=True)
class Evidence:
    """One stored event, as an audit answer cites it."""

    event: str  # its published name, e.g. ownership.claimed
    aggregate_id: UUID
    version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None
    backdated_by: timedelta | None
    facts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, event: CrmEvent) -> Evidence:
        name = EVENT_TYPES.of_topic(get_topic(type(event))).name
        facts = {fact: _plain(getattr(event, fact)) for fact in FACT_FIELDS if hasattr(event, fact)}
        return cls(
            event=name,
            aggregate_id=event.originator_id,
            version=event.originator_version,
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
            actor=event.actor,
            reason=event.reason,
            backdated_by=backdated_by(event),
            facts=facts,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in a fixed shape (verdict digests are taken over it)."""
        return {
            "event": self.event,
            "aggregate_id": str(self.aggregate_id),
            "version": self.version,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "actor": self.actor,
            "reason": self.reason,
            "backdated_by_seconds": (
                int(self.backdated_by.total_seconds()) if self.backdated_by else None
            ),
            "facts": self.facts,
        }


def cite(events: Iterable[CrmEvent]) -> tuple[Evidence, ...]:
    """Evidence for ``events``, each once, in business order (ties: recording order)."""
    unique = {(e.originator_id, e.originator_version): e for e in events}
    ordered = sorted(
        unique.values(),
        key=lambda e: (e.occurred_at, e.timestamp, str(e.originator_id), e.originator_version),
    )
    return tuple(Evidence.of(e) for e in ordered)


def combined(*groups: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Several answers' evidence as one: each event once, in business order."""
    unique = {(piece.aggregate_id, piece.version): piece for group in groups for piece in group}
    return tuple(
        sorted(
            unique.values(),
            key=lambda p: (p.occurred_at, p.recorded_at, str(p.aggregate_id), p.version),
        )
    )


def _plain(value: Any) -> Any:
    """JSON-ready: instants as ISO text, ids as strings, containers element-wise."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
