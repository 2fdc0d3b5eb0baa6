"""Sending a batch of messages to Kafka and knowing that all of them were acknowledged.

The producer is kafka-python's, idempotent, ``acks=all``: a message counts as sent when
every in-sync replica has it. Order per key holds because the idempotent producer
keeps it across retries. ``send_batch`` returns only when every message of the batch is
acknowledged, and raises ``DeliveryFailed`` otherwise: the caller then keeps its
position and sends the batch again later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from adapters.relay.envelope import STRUCTURED_CONTENT_TYPE, Message
from adapters.relay.relay import DeliveryFailed
from kafka import KafkaProducer


@dataclass(frozen=True)
class ProducerOptions:
    """The producer settings that matter for throughput and for outages."""

    bootstrap_servers: str
    linger_ms: int = 20
    batch_bytes: int = 1 << 20
    delivery_timeout_s: float = 120.0
    compression: str | None = None

    def config(self) -> dict[str, Any]:
        delivery_ms = int(self.delivery_timeout_s * 1000)
        # kafka-python wants delivery_timeout_ms > linger_ms + request_timeout_ms.
        request_ms = min(30_000, (delivery_ms - self.linger_ms) // 2)
        return {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",")],
            "client_id": "crmcore-relay",
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": self.linger_ms,
            "batch_size": self.batch_bytes,
            "max_request_size": max(self.batch_bytes * 4, 1 << 20),
            "delivery_timeout_ms": delivery_ms,
            "request_timeout_ms": request_ms,
            "compression_type": self.compression,
            "bootstrap_timeout_ms": int(min(self.delivery_timeout_s, 30.0) * 1000),
        }


class KafkaSink:
    """One producer, sending to one topic."""

    def __init__(self, topic: str, options: ProducerOptions) -> None:
        self.topic = topic
        self._timeout = options.delivery_timeout_s
        try:
            self._producer = KafkaProducer(**options.config())
        except KafkaError as error:
            raise DeliveryFailed(
                f"cannot reach Kafka at {options.bootstrap_servers}: {error}"
            ) from error

    def send_batch(self, messages: Sequence[Message]) -> None:
        """Sends ``messages`` in order; returns once the broker acknowledged all of them."""
        headers = [("content-type", STRUCTURED_CONTENT_TYPE)]
        try:
            futures = [
                self._producer.send(
                    self.topic, key=message.key, value=message.value, headers=headers
                )
                for message in messages
            ]
            self._producer.flush(timeout=self._timeout + 5)
        except KafkaError as error:
            raise DeliveryFailed(f"sending to {self.topic} failed: {error}") from error
        for future in futures:
            if not future.is_done:
                raise DeliveryFailed(f"the broker did not acknowledge {self.topic} in time")
            if future.failed():
                raise DeliveryFailed(f"the broker refused a message: {future.exception}")

    def close(self, *, wait: bool = True) -> None:
        """Closes the producer; after a failure, without waiting for what is left unsent
        (it is sent again from the kept position)."""
        self._producer.close(timeout=5 if wait else 0)
