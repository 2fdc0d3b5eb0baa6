"""What every crmcore event carries, whatever aggregate it belongs to.

``timestamp`` (from eventsourcing) is the recording time, ``occurred_at`` the business
time the command states; both come from the application's injected clock, so an
audit can ask both "what happened at T" and "what did we know at K".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate


class CrmEvent(Aggregate.Event):
    """Base of every crmcore event: who did it, when it happened, and why."""

    actor: str
    occurred_at: datetime
    reason: str | None


@dataclass(frozen=True)
class EventContext:
    """Who, when and why, computed once per command and stamped on each of its events."""

    actor: str
    recorded_at: datetime
    occurred_at: datetime
    reason: str | None = None
    # False when the command gave no business time and took the clock's: reading state
    # that another writer changed after that clock read is then a lost race, decided
    # again at a later instant, not the caller's mistake.
    stated: bool = True

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``trigger_event`` / ``_create``."""
        return {
            "timestamp": self.recorded_at,
            "actor": self.actor,
            "occurred_at": self.occurred_at,
            "reason": self.reason,
        }
