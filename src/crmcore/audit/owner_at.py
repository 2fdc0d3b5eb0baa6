"""``owner_at``: who owned a customer at business time T, as the system knew it at K.

The answer folds two short histories - the customer's and its ownership's (tens of
events each, whatever the size of the book) - recorded by K and cut at T, in business
order (``crmcore.audit.bitemporal``). A customer merged into another by T answers for
its survivor, and a lead converted by T for its customer; both say so and cite the
merge or conversion. The evidence is the events that made the answer: the one that
gave the customer its owner (or sent it to the pool) and every later one that changed
its protection or collaborators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from crmcore.audit.bitemporal import Replay, known_by, replay
from crmcore.audit.evidence import Evidence, cite
from crmcore.clock import iso
from crmcore.domain.base import CrmEvent
from crmcore.domain.ownership import Ownership, ownership_id
from crmcore.errors import CustomerNotFound

# Merges and conversions chain; a chain longer than this is a corrupt store, not a book.
_MAX_HOPS = 50

# After the event that set the owner (or took it away), these change what it holds.
_REFINING = (
    Ownership.FollowedUp,
    Ownership.CollaboratorsChanged,
    Ownership.OpportunityNoted,
    Ownership.Escalated,
)
_STATUS = (Ownership.OwnerChanged, Ownership.OwnerRemoved, Ownership.HandedOver)
BEGAN_HOW: dict[type[CrmEvent], str] = {
    Ownership.Assigned: "assigned",
    Ownership.Claimed: "claimed",
    Ownership.Transferred: "transferred",
}


class Histories(Protocol):
    """What an audit reads: one aggregate's stored events, oldest first."""

    def history(self, aggregate_id: UUID) -> list[CrmEvent]: ...


@dataclass(frozen=True)
class OwnerAt:
    """Who owned ``customer_id`` at ``at`` as known at ``as_known_at`` (None: now).

    ``status`` is ``owned``, ``pool``, ``unassigned`` (never owned, or not since it was
    handed on), or ``not_yet_registered`` (nothing of it had happened by ``at``).
    """

    customer_id: UUID
    answered_for: UUID
    redirects: tuple[str, ...]  # "merged into <id>", "converted into <id>"
    at: datetime
    as_known_at: datetime | None
    status: str
    owner: str | None
    owner_since: datetime | None
    began_how: str | None
    collaborators: dict[str, float]
    protection: str | None
    protected_until: datetime | None
    protected: bool
    pool_since: datetime | None
    pool_reason: str | None
    rule_set_version: str | None
    evidence: tuple[Evidence, ...]
    ownership: Replay  # the folded ownership, for callers that go on reasoning
    trail: tuple[Replay, ...]  # every record and ownership replayed to get here

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "answered_for": str(self.answered_for),
            "redirects": list(self.redirects),
            "at": iso(self.at),
            "as_known_at": iso(self.as_known_at),
            "status": self.status,
            "owner": self.owner,
            "owner_since": iso(self.owner_since),
            "began_how": self.began_how,
            "collaborators": dict(sorted(self.collaborators.items())),
            "protection": self.protection,
            "protected_until": iso(self.protected_until),
            "protected": self.protected,
            "pool_since": iso(self.pool_since),
            "pool_reason": self.pool_reason,
            "rule_set_version": self.rule_set_version,
            "evidence": [piece.as_dict() for piece in self.evidence],
        }


@dataclass(frozen=True)
class Subject:
    """The record an audit answers for once merges and conversions are followed, and
    the replays that got it there (their hand-on events are evidence)."""

    record_id: UUID
    record: Replay
    ownership: Replay
    hops: tuple[tuple[str, CrmEvent], ...]
    trail: tuple[Replay, ...]  # every record and ownership replayed on the way, this one's too


def follow(
    histories: Histories, customer_id: UUID, at: datetime | None, known_at: datetime | None
) -> Subject:
    """``customer_id`` (a customer or a lead) followed through every merge and
    conversion that had happened by ``at`` (None: ever), as known at ``known_at``."""
    current, hops, seen, trail = customer_id, [], [customer_id], []
    for _ in range(_MAX_HOPS):
        events = histories.history(current)
        ownership_events = histories.history(ownership_id(current))
        if current == customer_id and not known_by([*events, *ownership_events], known_at):
            raise CustomerNotFound(customer_id)
        record = replay(events, at, known_at)
        ownership = replay(ownership_events, at, known_at)
        trail += [record, ownership]
        merged_into = getattr(record.state, "merged_into", None)
        if isinstance(merged_into, UUID) and merged_into not in seen:
            hops.append((f"merged into {merged_into}", _last_merge(record)))
            current = merged_into
        elif (
            isinstance(ownership.last, Ownership.HandedOver)
            and ownership.last.to_customer_id not in seen
        ):
            hops.append((f"converted into {ownership.last.to_customer_id}", ownership.last))
            current = ownership.last.to_customer_id
        else:
            return Subject(current, record, ownership, tuple(hops), tuple(trail))
        seen.append(current)
    raise CustomerNotFound(customer_id)  # a chain this long is a corrupt store, not a book


def owner_at(
    histories: Histories, customer_id: UUID, at: datetime, known_at: datetime | None = None
) -> OwnerAt:
    """The ownership of ``customer_id`` at ``at`` as known at ``known_at`` (see module)."""
    subject = follow(histories, customer_id, at, known_at)
    state = subject.ownership.state
    decided_by = status_event(subject.ownership)
    owner = state.owner if state is not None else None
    if owner is not None:
        status = "owned"
    elif state is not None and state.in_pool:
        status = "pool"
    elif subject.record.state is None and state is None:
        status = "not_yet_registered"
    else:
        status = "unassigned"
    return OwnerAt(
        customer_id=customer_id,
        answered_for=subject.record_id,
        redirects=tuple(note for note, _ in subject.hops),
        at=at,
        as_known_at=known_at,
        status=status,
        owner=owner,
        owner_since=state.owner_since if owner else None,
        began_how=BEGAN_HOW.get(type(decided_by)) if owner and decided_by else None,
        collaborators=dict(state.collaborators) if owner else {},
        protection=state.protection if owner else None,
        protected_until=state.protected_until if owner else None,
        protected=bool(owner) and state.is_protected(at),
        pool_since=state.pool_since if status == "pool" else None,
        pool_reason=state.pool_reason if status == "pool" else None,
        rule_set_version=getattr(decided_by, "rule_set_version", None),
        evidence=cite([*(event for _, event in subject.hops), *_made_it_so(subject)]),
        ownership=subject.ownership,
        trail=subject.trail,
    )


def status_event(ownership: Replay) -> CrmEvent | None:
    """The latest event that gave the customer an owner, or took it away."""
    for event in reversed(ownership.applied):
        if isinstance(event, _STATUS):
            return event
    return None


def _made_it_so(subject: Subject) -> list[CrmEvent]:
    """The event that set the current status and every later refinement of it; with no
    ownership event yet, the record's creation (who entered it, when)."""
    applied = subject.ownership.applied
    start = next(
        (i for i in range(len(applied) - 1, -1, -1) if isinstance(applied[i], _STATUS)), None
    )
    if start is None:
        return list(subject.record.applied[:1])
    return [applied[start], *(e for e in applied[start + 1 :] if isinstance(e, _REFINING))]


def _last_merge(record: Replay) -> CrmEvent:
    for event in reversed(record.applied):
        if hasattr(event, "survivor_id"):
            return event
    raise AssertionError("a merged record without its merge event")
