"""One arrival of a buyer (a touch), as a lead keeps it.

Kept apart from the Lead aggregate so that the lead's events, a merge's carried
touches and the arrival mark that recognises a repeated capture share one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmcore.domain.customer_touches import ArrivalMark, arrival_mark


@dataclass(frozen=True)
class Touch:
    """One arrival of the buyer: channel, tags, campaign, intent, browser, business time."""

    channel: str
    source_tags: tuple[str, ...]
    campaign: str | None
    intent: str | None
    device_id: str | None
    session_id: str | None
    actor: str
    at: datetime

    @property
    def mark(self) -> ArrivalMark:
        """What makes another capture the same arrival (``arrival_mark``)."""
        return arrival_mark(self.to_dict(), self.actor, self.at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "source_tags": list(self.source_tags),
            "campaign": self.campaign,
            "intent": self.intent,
            "device_id": self.device_id,
            "session_id": self.session_id,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


def touch_of(data: dict[str, Any], actor: str, at: datetime) -> Touch:
    """A touch from its stored form (an event's ``touch`` and who and when)."""
    return Touch(
        channel=data["channel"],
        source_tags=tuple(data.get("source_tags") or ()),
        campaign=data.get("campaign"),
        intent=data.get("intent"),
        device_id=data.get("device_id"),
        session_id=data.get("session_id"),
        actor=actor,
        at=at,
    )
