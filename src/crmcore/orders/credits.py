"""Who is credited with a milestone: the customer's owner and collaborators as the
ownership stood at the milestone's business time, with their agreed shares.

Read from the ownership's own history (a customer's ownership has tens of events, not
the book's millions): the events up to the business time are folded - the ownership
timeline only reads forwards, so they are a prefix - and the owner keeps what the
collaborators' shares leave. Nobody owned it then: no credits, and the basis says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from crmcore.domain.base import CrmEvent

OWNER_AT_BUSINESS_TIME = "owner_at_business_time"
UNOWNED_AT_BUSINESS_TIME = "unowned_at_business_time"


def credits_at(
    history: Iterable[CrmEvent], at: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(credits, basis) for a milestone at business time ``at`` given the ownership's
    events in order: credits are [{rep, role, share}], shares summing to 1."""
    ownership: Any = None
    version = 0
    for event in history:
        if event.occurred_at > at:
            break
        ownership = event.mutate(ownership)
        version = event.originator_version
    basis: dict[str, Any] = {"at": at.isoformat(), "ownership_version": version}
    if ownership is None or ownership.owner is None:
        return [], {**basis, "rule": UNOWNED_AT_BUSINESS_TIME}
    shares = {rep: float(share) for rep, share in sorted(ownership.collaborators.items())}
    credits = [{"rep": ownership.owner, "role": "owner", "share": _round(1 - sum(shares.values()))}]
    credits += [
        {"rep": rep, "role": "collaborator", "share": _round(share)}
        for rep, share in shares.items()
    ]
    return credits, {**basis, "rule": OWNER_AT_BUSINESS_TIME}


def _round(share: float) -> float:
    return round(share, 6)
