"""Reading the application's own event log in recording order, page by page.

The one way read models (projections, the identity candidate index) follow the log:
notification ids may have gaps (PostgreSQL sequences, rolled-back transactions), so a
reader continues from "greater than the last id seen", never from "last + 1".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

PAGE_SIZE = 1_000


def topics_of(*event_classes: type) -> list[str]:
    """The stored topic names of event classes, for filtering the log."""
    return [get_topic(cls) for cls in event_classes]


def read_events(
    app: Application[UUID], topics: Sequence[str], after: int | None = None
) -> Iterator[tuple[int, DomainEventProtocol[UUID]]]:
    """(notification id, event) for every event of ``topics`` recorded after ``after``."""
    while True:
        page = app.recorder.select_notifications(
            start=after, limit=PAGE_SIZE, topics=topics, inclusive_of_start=False
        )
        if not page:
            return
        for notification in page:
            yield notification.id, app.mapper.to_domain_event(notification)
        after = page[-1].id


def follow(
    app: Application[UUID],
    topics: Sequence[str],
    after: int | None,
    apply: Callable[[DomainEventProtocol[UUID]], None],
) -> tuple[int | None, int]:
    """Applies every event of ``topics`` recorded after ``after``; returns the new
    position and how many events were applied (how in-memory views catch up)."""
    count = 0
    for notification_id, event in read_events(app, topics, after):
        apply(event)
        after = notification_id
        count += 1
    return after, count


def customer_of(event: DomainEventProtocol[UUID]) -> UUID:
    """The customer an event of a customer's history is about: its originator, or for
    an ownership event (whose aggregate has an id of its own) the customer it names."""
    customer_id = getattr(event, "customer_id", None)
    return customer_id if isinstance(customer_id, UUID) else event.originator_id
