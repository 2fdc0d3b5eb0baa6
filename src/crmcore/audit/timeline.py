"""A customer's ownership timeline as known at K, replayed from its events.

The same periods as the ``ownership_timeline`` view (``crm customer owners``), but
bitemporal and cited: built from the history recorded by K in business order, so a
back-dated transfer sits where it happened, and each period names the events that
began and ended it. A merged record's timeline is its own until the merge, then its
survivor's; a converted lead's continues as its customer's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.audit.bitemporal import Replay
from crmcore.audit.evidence import Evidence, cite
from crmcore.audit.owner_at import BEGAN_HOW, Histories, follow
from crmcore.clock import iso
from crmcore.domain.ownership import Ownership


@dataclass(frozen=True)
class Period:
    """One owner's time with the customer; ``ended_at`` is None while it lasts."""

    customer_id: UUID
    owner: str
    started_at: datetime
    began_how: str
    rule: str | None
    started_by: Evidence
    ended_at: datetime | None = None
    ended_how: str | None = None
    end_reason: str | None = None
    ended_by: Evidence | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "owner": self.owner,
            "from": iso(self.started_at),
            "to": iso(self.ended_at),
            "began": self.began_how,
            "rule": self.rule,
            "ended": self.ended_how,
            "why": self.end_reason,
            "started_by": f"{self.started_by.event} v{self.started_by.version}",
            "ended_by": f"{self.ended_by.event} v{self.ended_by.version}"
            if self.ended_by
            else None,
        }


@dataclass(frozen=True)
class Timeline:
    """Every ownership period and every event of the customer, as known at K."""

    customer_id: UUID
    answered_for: UUID
    redirects: tuple[str, ...]
    as_known_at: datetime | None
    periods: tuple[Period, ...]
    events: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "answered_for": str(self.answered_for),
            "redirects": list(self.redirects),
            "as_known_at": iso(self.as_known_at),
            "periods": [period.as_dict() for period in self.periods],
            "events": [piece.as_dict() for piece in self.events],
        }


def ownership_timeline(
    histories: Histories, customer_id: UUID, known_at: datetime | None = None
) -> Timeline:
    """The timeline of ``customer_id`` as known at ``known_at`` (None: now)."""
    subject = follow(histories, customer_id, None, known_at)
    periods = [
        period
        for replayed in subject.trail
        if isinstance(replayed.state, Ownership)
        for period in periods_of(replayed)
    ]
    periods.sort(key=lambda p: (p.started_at, p.started_by.recorded_at))
    return Timeline(
        customer_id=customer_id,
        answered_for=subject.record_id,
        redirects=tuple(note for note, _ in subject.hops),
        as_known_at=known_at,
        periods=tuple(periods),
        events=cite(event for replayed in subject.trail for event in replayed.applied),
    )


def periods_of(ownership: Replay) -> list[Period]:
    """The ownership periods in one replayed ownership history."""
    periods: list[Period] = []
    for event in ownership.applied:
        if isinstance(event, Ownership.OwnerChanged):
            how = BEGAN_HOW[type(event)]
            _close(periods, event, how, f"to {event.owner}")
            rule = event.rule if isinstance(event, Ownership.Assigned) else None
            periods.append(
                Period(
                    event.customer_id, event.owner, event.occurred_at, how, rule, Evidence.of(event)
                )
            )
        elif isinstance(event, Ownership.OwnerRemoved):
            how = "recycled" if isinstance(event, Ownership.Recycled) else "released"
            _close(periods, event, how, event.pool_reason)
        elif isinstance(event, Ownership.HandedOver):
            _close(periods, event, "converted", f"to customer {event.to_customer_id}")
    return periods


def _close(periods: list[Period], event: Ownership.Event, how: str, reason: str | None) -> None:
    if periods and periods[-1].ended_at is None:
        periods[-1] = replace(
            periods[-1],
            ended_at=event.occurred_at,
            ended_how=how,
            end_reason=reason,
            ended_by=Evidence.of(event),
        )
