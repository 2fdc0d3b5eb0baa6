"""Benchmark: events per second from the SQLite event store to a Kafka broker.

Fills a store with ``--events`` events (customers registered with a phone and an e-mail:
one ``customer.registered`` and two ``identity_key.indexed`` each, the mix of a real
log), 1,000 aggregates per save through the event store, without the identity check,
which this benchmark does not measure. Starts the development broker (Tansu, memory
only) on a free loopback port and runs the relay once over the whole log, as
``crm relay run --once`` does: read, build each CloudEvent, mask PII, send with
acks=all, wait for every ack, commit the position per batch.

Prints, from the same run, the two ceilings the relay sits between: reading and
decoding the log alone, and kafka-python sending same-sized messages alone. Then checks
that the topic holds as many messages as the store holds events.

    python -u scripts/bench_relay.py --events 1000000
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from threading import Event
from typing import Any
from uuid import uuid4

from kafka import KafkaConsumer, TopicPartition

from adapters.bootstrap import kafka_connector, open_relay
from adapters.relay.dev_broker import Broker
from adapters.relay.envelope import Message
from adapters.settings import load_settings
from bench_figures import figure
from crmcore import CrmApplication, ManualClock
from crmcore.domain import Customer, EventContext, IdentityKeyIndex
from crmcore.identity import normalise_key

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
PER_SAVE = 1_000


def timed(label: str, count: int, run: Callable[[], Any], baseline: float | None = None) -> float:
    began = time.perf_counter()
    run()
    seconds = time.perf_counter() - began
    rate = count / seconds
    ratio = f"  ({rate / baseline:.0%} of that)" if baseline else ""
    print(f"{label:<40} {count:>9,} in {seconds:7.1f} s = {rate:>8,.0f}/s{ratio}", flush=True)
    return rate


def fill(app: CrmApplication, events: int) -> None:
    context = EventContext("bench", START, START)
    pending: list[Any] = []
    for n in range(events // 3):
        customer_id = uuid4()
        phone = normalise_key("phone", f"138{n:08d}")
        email = normalise_key("email", f"buyer{n}@company{n}.cn")
        pending.append(
            Customer.register(
                customer_id,
                company_name=f"基准测试{n}号贸易有限公司",
                contact_name="王伟",
                keys=(phone, email),
                region="北京",
                industry="批发和零售业",
                source="bench",
                external_id=None,
                context=context,
            )
        )
        pending += [IdentityKeyIndex.first_claim(k, customer_id, context) for k in (phone, email)]
        if len(pending) >= PER_SAVE:
            app.save(*pending)
            pending = []
    app.save(*pending)


def read_log(app: CrmApplication) -> None:
    after = None
    while page := app.recorder.select_notifications(
        start=after, limit=5_000, inclusive_of_start=False
    ):
        for notification in page:
            app.mapper.to_domain_event(notification)
        after = page[-1].id


def send_raw(settings: Any, count: int, size: int) -> None:
    sink = kafka_connector(settings)()
    value = b"x" * size
    batch = [Message(str(n % 50_000).encode(), value, "") for n in range(5_000)]
    for _ in range(count // len(batch)):
        sink.send_batch(batch)
    sink.close()


def distinct_messages_in(bootstrap: str, topic: str) -> int:
    """Reads the topic back (Tansu's end offsets lag behind what it serves, so they are
    no count) and counts distinct message values."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    seen: set[int] = set()
    while batches := consumer.poll(timeout_ms=3_000):
        for records in batches.values():
            seen.update(hash(record.value) for record in records)
    consumer.close()
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    args = parser.parse_args()
    print(f"{platform.node()} {platform.machine()} Python {platform.python_version()}")
    broker = Broker()
    broker.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            environ={},
            db=Path(folder) / "crm.db",
            kafka_bootstrap_servers=broker.bootstrap,
            kafka_topic="bench.events",
            relay={"batch_size": args.batch_size},
        )
        app = CrmApplication(settings.eventsourcing_env(), clock=ManualClock(START))
        try:
            total = args.events // 3 * 3
            timed("fill the store (not measured)", total, lambda: fill(app, total))
            read = timed("ceiling 1: read + decode the log", total, lambda: read_log(app))
            raw = settings.model_copy(update={"kafka_topic": "bench.raw"})
            size = 700
            sent = timed(
                f"ceiling 2: send {size}-byte messages", total, lambda: send_raw(raw, total, size)
            )
            relay = open_relay(settings, app)
            rate = timed(
                "relay: store -> CloudEvents -> broker",
                total,
                lambda: relay.run(kafka_connector(settings), Event(), poll_interval_s=1, once=True),
            )
            print(f"relay / read ceiling {rate / read:.0%}, relay / send ceiling {rate / sent:.0%}")
            figure("crm relay run (to Kafka)", rate, "events/s", raw=sent,
                   target="raw: kafka-python's send ceiling",
                   detail=f"read ceiling {read:,.0f}/s")
            held = distinct_messages_in(broker.bootstrap, "bench.events")
            print(f"topic holds {held:,} distinct messages; relay {relay.status('bench.events')}")
        finally:
            app.close()
            broker.stop()


if __name__ == "__main__":
    main()
