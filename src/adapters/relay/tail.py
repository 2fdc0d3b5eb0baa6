"""Reading the published events back, as a consumer should: parsed by the CloudEvents
SDK and de-duplicated by ``id`` (the relay is at-least-once, so a crash can resend)."""

from __future__ import annotations

from collections.abc import Iterator
from threading import Event
from time import monotonic

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from kafka import KafkaConsumer, TopicPartition

from adapters.relay.relay_settings import broker_addresses

SEEN_IDS_KEPT = 1_000_000


class SeenIds:
    """The most recent ids seen, to drop resends; the oldest are forgotten first.

    >>> seen = SeenIds(limit=2)
    >>> [seen.first_time(i) for i in ("a", "b", "a", "c", "a")]
    [True, True, False, True, True]
    """

    def __init__(self, limit: int = SEEN_IDS_KEPT) -> None:
        self._ids: dict[str, None] = {}
        self._limit = limit

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._limit:
            del self._ids[next(iter(self._ids))]
        return True


class EventTail:
    """A consumer of every partition of the topic (no consumer group: nothing to join)."""

    def __init__(self, bootstrap_servers: str, topic: str, *, from_beginning: bool) -> None:
        self.topic = topic
        self.duplicates = 0
        self._seen = SeenIds()
        self._from_beginning = from_beginning
        self._consumer = KafkaConsumer(
            bootstrap_servers=broker_addresses(bootstrap_servers),
            client_id="crmcore-tail",
            enable_auto_commit=False,
            # After a broker that lost its log comes back, offsets restart at 0.
            auto_offset_reset="earliest" if from_beginning else "latest",
        )
        self._assigned = False

    def events(self, stop: Event, idle_timeout_s: float | None = None) -> Iterator[BaseCloudEvent]:
        """Events in arrival order (per key, in publication order), without resends.
        Ends when ``stop`` is set or nothing arrived for ``idle_timeout_s``."""
        last_seen = monotonic()
        while not stop.is_set():
            if idle_timeout_s is not None and monotonic() - last_seen > idle_timeout_s:
                return
            if not self._assigned and not self._assign():
                stop.wait(0.2)
                continue
            for records in self._consumer.poll(timeout_ms=200).values():
                for record in records:
                    last_seen = monotonic()
                    event = from_kafka_event(
                        KafkaMessage(dict(record.headers or []), record.key, record.value)
                    )
                    if self._seen.first_time(event.get_id()):
                        yield event
                    else:
                        self.duplicates += 1

    def _assign(self) -> bool:
        partitions = self._consumer.partitions_for_topic(self.topic)
        if not partitions:
            return False
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        if self._from_beginning:
            self._consumer.seek_to_beginning(*assigned)
        self._assigned = True
        return True

    def close(self) -> None:
        self._consumer.close()
