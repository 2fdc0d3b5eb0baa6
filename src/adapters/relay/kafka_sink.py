"""Sending a batch of messages to Kafka and knowing that all of them were acknowledged.

The producer is kafka-python's, idempotent, ``acks=all``: a message counts as sent when
every in-sync replica has it. Order per key holds because the idempotent producer
keeps it across retries. ``send_batch`` hands a batch over; its ``Acks.wait`` returns only when
every message of the batch is acknowledged, and raises ``DeliveryFailed`` otherwise:
the caller then keeps its position and sends the batch again later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2

from adapters.relay.envelope import STRUCTURED_CONTENT_TYPE, Message
from adapters.relay.relay import DeliveryFailed
from adapters.relay.relay_settings import broker_addresses


@dataclass(frozen=True)
class ProducerOptions:
    """The producer settings that matter for throughput and for outages."""

    bootstrap_servers: str
    linger_ms: int = 20
    batch_bytes: int = 1 << 20
    delivery_timeout_s: float = 120.0

    def config(self) -> dict[str, Any]:
        delivery_ms = int(self.delivery_timeout_s * 1000)
        # kafka-python wants delivery_timeout_ms > linger_ms + request_timeout_ms.
        request_ms = min(30_000, (delivery_ms - self.linger_ms) // 2)
        return {
            "bootstrap_servers": broker_addresses(self.bootstrap_servers),
            "client_id": "crmcore-relay",
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": self.linger_ms,
            "batch_size": self.batch_bytes,
            "max_request_size": max(self.batch_bytes * 4, 1 << 20),
            "delivery_timeout_ms": delivery_ms,
            "max_block_ms": delivery_ms,
            "request_timeout_ms": request_ms,
            "bootstrap_timeout_ms": int(min(self.delivery_timeout_s, 30.0) * 1000),
        }


PARTITION_CACHE_SIZE = 1_000_000


class Acks:
    """The broker's acknowledgements of one batch, waited for all at once."""

    def __init__(self, topic: str, futures: list[Any], timeout_s: float) -> None:
        self._topic = topic
        self._futures = futures
        self._timeout_s = timeout_s

    def wait(self) -> None:
        """Returns when every message is acknowledged; raises DeliveryFailed otherwise."""
        deadline = monotonic() + self._timeout_s
        for future in self._futures:
            try:
                future.get(timeout=max(deadline - monotonic(), 0.001))
            except KafkaError as error:
                raise DeliveryFailed(
                    f"the broker did not acknowledge a message on {self._topic}: {error}"
                ) from error


class KafkaSink:
    """One producer, sending to one topic."""

    def __init__(self, topic: str, options: ProducerOptions) -> None:
        self.topic = topic
        self._timeout = options.delivery_timeout_s
        self._partitions: list[int] = []
        self._partition_of_key: dict[bytes, int] = {}
        try:
            self._producer = KafkaProducer(**options.config())
        except KafkaError as error:
            raise DeliveryFailed(
                f"cannot reach Kafka at {options.bootstrap_servers}: {error}"
            ) from error

    def send_batch(self, messages: Sequence[Message]) -> Acks:
        """Hands ``messages`` to the producer in order; the returned ``Acks`` waits until
        the broker acknowledged all of them, so the caller can read the next batch
        meanwhile."""
        headers = [("content-type", STRUCTURED_CONTENT_TYPE)]
        send = self._producer.send
        try:
            partition_of = self._partitioner()
            futures = [
                send(
                    self.topic,
                    key=message.key,
                    value=message.value,
                    headers=headers,
                    partition=partition_of(message.key),
                )
                for message in messages
            ]
        except KafkaError as error:
            raise DeliveryFailed(f"sending to {self.topic} failed: {error}") from error
        return Acks(self.topic, futures, self._timeout + 5)

    def _partitioner(self) -> Callable[[bytes], int]:
        """Kafka's default partitioning (murmur2 of the key, as the Java client does, so
        other producers agree on a key's partition), remembered per key: a customer's
        many events hash once."""
        partitions = sorted(self._producer.partitions_for(self.topic))
        if partitions != self._partitions:
            self._partitions, self._partition_of_key = partitions, {}
        cache = self._partition_of_key
        if len(cache) > PARTITION_CACHE_SIZE:
            cache.clear()

        def partition_of(key: bytes) -> int:
            partition = cache.get(key)
            if partition is None:
                partition = partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
                cache[key] = partition
            return partition

        return partition_of

    def close(self) -> None:
        """Closes the producer. After a failure the batches still queued are delivered or
        expire within the delivery timeout; they are sent again from the kept position
        either way, so an error while closing is no news."""
        try:
            self._producer.close(timeout=self._timeout + 5)
        except KafkaError:
            # kafka-python's close() raises when its flush times out, before it stops
            # the sender thread; stop it so a dead producer does not keep retrying.
            self._producer._sender.force_close()
