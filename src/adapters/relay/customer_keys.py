"""The Kafka key of each customer's events: its own id, or its survivor's once merged.

Kafka keeps order per key. A merged customer's later events (its tombstone, ownership
changes recorded after the merge, the restore that undoes it) travel under the
survivor's key, so they stay in order with the survivor's own history; the event says
so (``mergedinto``). Merges chain: when the survivor is merged in turn, both follow the
last survivor. The state is rebuilt from the log up to the relay's position on start.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from crmcore.domain.customer_merges import MergedInto, Restored
from crmcore.event_log import read_events, topics_of

MERGE_TOPICS = topics_of(MergedInto, Restored)


class CustomerKeys:
    """Which customers are merged into which, as of the relay's place in the log."""

    def __init__(self) -> None:
        self._merged_into: dict[UUID, UUID] = {}

    @classmethod
    def as_of(cls, app: Application[UUID], position: int | None) -> CustomerKeys:
        """The merges in force after notification ``position`` (None: the log's start)."""
        keys = cls()
        if position is None:
            return keys
        for notification_id, event in read_events(app, MERGE_TOPICS):
            if notification_id > position:
                break
            keys.before(event)
            keys.after(event)
        return keys

    def key_of(self, customer_id: UUID) -> UUID:
        """The last survivor along the chain of merges (the customer itself if none)."""
        key = customer_id
        for _ in range(len(self._merged_into) + 1):  # a chain is never longer; no cycles
            survivor = self._merged_into.get(key)
            if survivor is None:
                return key
            key = survivor
        return key

    def before(self, event: DomainEventProtocol[UUID]) -> None:
        """Takes note of a merge before its tombstone event is keyed (it goes with the
        survivor's history)."""
        if isinstance(event, MergedInto):
            self._merged_into[event.originator_id] = event.survivor_id

    def after(self, event: DomainEventProtocol[UUID]) -> None:
        """Takes note of a restore after it is keyed (it is the last event under the
        survivor's key; the customer's next events are under its own again)."""
        if isinstance(event, Restored):
            self._merged_into.pop(event.originator_id, None)
