"""Who is credited with a milestone: the customer's owner and collaborators as the
ownership stood at the milestone's business time, with their agreed shares.

Read from the ownership's own history (a customer's ownership has tens of events, not
the book's millions): the events up to the business time are replayed in business
order (``crmcore.audit.bitemporal``: a back-dated transfer counts from when it
happened), and the owner keeps what the collaborators' shares leave. Nobody owned it
then: no credits, and the basis says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crmcore.audit.bitemporal import replay
from crmcore.domain.base import CrmEvent

OWNER_AT_BUSINESS_TIME = "owner_at_business_time"
UNOWNED_AT_BUSINESS_TIME = "unowned_at_business_time"


def credits_at(
    history: Sequence[CrmEvent], at: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(credits, basis) for a milestone at business time ``at`` given the ownership's
    events in order: credits are [{rep, role, share}], shares summing to 1."""
    replayed = replay(history, at)
    version = max((event.originator_version for event in replayed.applied), default=0)
    basis: dict[str, Any] = {"at": at.isoformat(), "ownership_version": version}
    credits = credits_of(replayed.state)
    rule = OWNER_AT_BUSINESS_TIME if credits else UNOWNED_AT_BUSINESS_TIME
    return credits, {**basis, "rule": rule}


def credits_of(ownership: Any) -> list[dict[str, Any]]:
    """The owner and collaborators of an ownership state with their shares (the owner
    keeps what the collaborators' shares leave); none when nobody owned it."""
    if ownership is None or ownership.owner is None:
        return []
    shares = {rep: float(share) for rep, share in sorted(ownership.collaborators.items())}
    credits = [{"rep": ownership.owner, "role": "owner", "share": _round(1 - sum(shares.values()))}]
    credits += [
        {"rep": rep, "role": "collaborator", "share": _round(share)}
        for rep, share in shares.items()
    ]
    return credits


def _round(share: float) -> float:
    return round(share, 6)
