"""One stored event as one Kafka message: a key and a CloudEvents 1.0 structured JSON value.

The ``id`` is a UUID5 of the aggregate id and version, so a resend after a crash carries
the same id and consumers de-duplicate on it. ``subject`` is what the event is about
(``customer/<id>``, ``rep/<id>``); the Kafka key is the customer's (or its survivor's)
id, repeated in the ``partitionkey`` extension of the CloudEvents partitioning spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEventProtocol
from pydantic_core import to_json

from adapters.relay.customer_keys import CustomerKeys
from adapters.relay.defaults import DEFAULT_SCHEMA_BASE, DEFAULT_SOURCE
from adapters.relay.event_data import event_data
from adapters.relay.pii import PiiPolicy
from crmcore.event_catalogue import EVENT_TYPES, Catalogue, EventType

SPECVERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = b"application/cloudevents+json; charset=UTF-8"
"""The Kafka ``content-type`` header that marks a structured-mode CloudEvent."""
EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "crmcore:cloudevent-id")


def event_id(event: DomainEventProtocol[UUID]) -> str:
    """The same id for the same stored event, on every resend and from every relay.

    >>> from uuid import UUID
    >>> class E: originator_id, originator_version = UUID(int=1), 3
    >>> event_id(E())
    '92db44d2-afce-5a48-98a1-3c25685ae8b4'
    """
    return str(uuid5(EVENT_ID_NAMESPACE, f"{event.originator_id}:{event.originator_version}"))


def dataschema_of(entry: EventType, base: str = DEFAULT_SCHEMA_BASE) -> str:
    """The URI naming ``entry``'s JSON Schema (the ``$id`` of its file in docs/events/)."""
    return f"{base}{entry.type}"


@dataclass(frozen=True)
class Message:
    """What goes to Kafka for one stored event."""

    key: bytes
    value: bytes
    event_id: str


class Envelopes:
    """Turns stored events, in log order, into messages; keeps the merge state it needs."""

    def __init__(
        self,
        keys: CustomerKeys,
        pii: PiiPolicy,
        *,
        source: str = DEFAULT_SOURCE,
        schema_base: str = DEFAULT_SCHEMA_BASE,
        catalogue: Catalogue = EVENT_TYPES,
    ) -> None:
        self._keys = keys
        self._pii = pii
        self._source = source
        self._schema_base = schema_base
        self._catalogue = catalogue

    def cloud_event(self, topic: str, event: DomainEventProtocol[UUID]) -> dict[str, Any]:
        """The structured-mode CloudEvent of ``event`` (stored under ``topic``)."""
        entry = self._catalogue.of_topic(topic)
        self._keys.before(event)
        customer = entry.customer_of(event)
        subject_id = customer or event.originator_id
        key = self._keys.key_of(customer) if customer is not None else subject_id
        self._keys.after(event)
        data = self._pii.apply(event_data(event))
        subject, partition_key = str(subject_id), str(key)
        envelope: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": event_id(event),
            "source": self._source,
            "type": entry.type,
            "subject": f"{entry.subject_kind}/{subject}",
            "time": data.get("occurred_at") or data["timestamp"],
            "datacontenttype": DATA_CONTENT_TYPE,
            "dataschema": dataschema_of(entry, self._schema_base),
            "partitionkey": partition_key,
        }
        if key != subject_id:
            envelope["mergedinto"] = partition_key
        envelope["data"] = data
        return envelope

    def message(self, topic: str, event: DomainEventProtocol[UUID]) -> Message:
        envelope = self.cloud_event(topic, event)
        return Message(envelope["partitionkey"].encode(), to_json(envelope), envelope["id"])
