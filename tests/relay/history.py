"""A store with a bit of everything the relay must publish, and reading a topic back."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from jsonschema import Draft202012Validator
from kafka import KafkaConsumer, TopicPartition

from adapters.relay.envelope import event_id
from crmcore import (
    CrmApplication,
    ManualClock,
    MergeCustomers,
    RecordFollowUp,
    ReleaseCustomer,
    SplitCustomer,
    parse_command,
)
from tests.conftest import all_events, hire, register

SCHEMAS = Path(__file__).parents[2] / "docs" / "events"


@dataclass(frozen=True)
class Merges:
    survivor: UUID
    absorbed: UUID


def busy_history(app: CrmApplication, clock: ManualClock, customers: int = 20) -> Merges:
    """Registrations by reps (who then own them), follow-ups, a release, a merge and
    its undoing, and a correction of the restored customer."""
    hire(app, "rep-1", "rep-2")
    ids = [
        register(
            app,
            actor=f"rep-{1 + n % 2}",
            company_name=f"测试{n}号贸易有限公司",
            contact_name="王伟",
            phone=f"1380013{n:04d}",
            email=f"buyer{n}@example{n}.cn",
        )
        for n in range(customers)
    ]
    clock.advance(hours=1)
    for n, customer in enumerate(ids[:5]):
        app.record_follow_up(
            parse_command(
                RecordFollowUp,
                {
                    "actor": f"rep-{1 + n % 2}",
                    "customer_id": customer,
                    "rep": f"rep-{1 + n % 2}",
                    "channel": "phone",
                    "content": "讨论了年度采购计划和报价",
                    "outcome": "约定下周上门演示",
                    "next_contact_at": clock.now() + timedelta(days=7),
                },
            )
        )
    app.release_customer(
        parse_command(
            ReleaseCustomer,
            {"actor": "rep-1", "customer_id": ids[6], "rep": "rep-1", "reason": "不是目标客户"},
        )
    )
    survivor, absorbed = ids[0], ids[1]
    app.merge_customers(
        parse_command(
            MergeCustomers,
            {"actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed,
             "reason": "same company"},
        )
    )
    app.split_customer(
        parse_command(
            SplitCustomer, {"actor": "mgr", "tombstone_id": absorbed, "reason": "not the same"}
        )
    )
    return Merges(survivor, absorbed)


def stored_ids(app: CrmApplication) -> list[str]:
    """The CloudEvent id of every stored event, in log order."""
    return [event_id(event) for event in all_events(app)]


@dataclass(frozen=True)
class Received:
    key: str
    partition: int
    offset: int
    event: BaseCloudEvent
    raw: dict[str, Any]


def consume(bootstrap: str, topic: str, until: int, timeout_s: float = 60) -> list[Received]:
    """Reads ``topic`` from its start until ``until`` distinct ids have arrived."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        deadline = time.monotonic() + timeout_s
        partitions = None
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            time.sleep(0.1)
        assert partitions, f"topic {topic} never appeared"
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        consumer.seek_to_beginning()
        received: list[Received] = []
        ids: set[str] = set()
        while len(ids) < until and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    message = KafkaMessage(dict(record.headers), record.key, record.value)
                    event = from_kafka_event(message)
                    ids.add(event.get_id())
                    received.append(
                        Received(record.key.decode(), record.partition, record.offset, event,
                                 json.loads(record.value))
                    )
        return received
    finally:
        consumer.close()


def validate(event: BaseCloudEvent) -> None:
    """Checks the event's data against the published schema its dataschema names."""
    name = event.get_dataschema().removeprefix("urn:crmcore:schema:")
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        event.get_data()
    )
