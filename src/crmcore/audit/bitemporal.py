"""Replaying an aggregate's history as it stood at business time T, as known at K.

Every event keeps two times: ``occurred_at`` (business time, what the command said) and
``timestamp`` (recording time, when the store learned of it). "Who owned it on 3 March,
as we knew it on 10 March" is the history recorded by K, cut at T, in business order:
a back-dated entry recorded later takes its place among the events it happened
between, which is why a late entry changes the answer as known now but never the
answer as known before it was recorded.

Events carry the decisions their rules made (deadlines, owners, shares), so a replay
applies them and recomputes nothing. The replay calls each event's ``apply`` rather
than eventsourcing's ``mutate``, whose version check assumes recording order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crmcore.clock import MAX_CLOCK_SKEW
from crmcore.domain.base import CrmEvent


def backdated_by(event: CrmEvent) -> timedelta | None:
    """How long after it happened the event was recorded, when that is more than the
    clocks' allowed skew (a back-dated entry); None for an event recorded as it happened."""
    lag = event.timestamp - event.occurred_at
    return lag if lag > MAX_CLOCK_SKEW else None


def known_by(history: Iterable[CrmEvent], known_at: datetime | None) -> list[CrmEvent]:
    """The events recorded at or before ``known_at`` (all of them when it is None)."""
    return [e for e in history if known_at is None or e.timestamp <= known_at]


def in_business_order(events: Iterable[CrmEvent]) -> list[CrmEvent]:
    """The aggregate's creation first, then by business time; ties keep recording order."""
    return sorted(
        events, key=lambda e: (e.originator_version != 1, e.occurred_at, e.originator_version)
    )


@dataclass(frozen=True)
class Replay:
    """An aggregate's state at a business time and the events it was folded from."""

    state: Any  # the aggregate, or None when nothing of it had happened yet
    applied: tuple[CrmEvent, ...]

    @property
    def last(self) -> CrmEvent | None:
        return self.applied[-1] if self.applied else None


def replay(
    history: Sequence[CrmEvent], at: datetime | None = None, known_at: datetime | None = None
) -> Replay:
    """The aggregate as it stood at business time ``at`` (None: the latest), folded from
    the events recorded by ``known_at`` (None: all of them) in business order.

    A back-dated event that happened before the aggregate's creation event's business
    time still needs the aggregate: the creation is applied first whenever anything of
    the aggregate is."""
    known = known_by(history, known_at)
    chosen = [e for e in known if at is None or e.occurred_at <= at]
    if chosen and chosen[0].originator_version != 1 and known and known[0].originator_version == 1:
        chosen.insert(0, known[0])
    ordered = in_business_order(chosen)
    state: Any = None
    for event in ordered:
        if state is None:
            state = event.mutate(None)
        else:
            event.apply(state)
            state.version = max(state.version, event.originator_version)
    return Replay(state, tuple(ordered))
