"""An event's published ``data``, and the JSON Schema that describes it.

Both come from one pydantic ``TypeAdapter`` per event class, so what the relay writes is
what the schema says: UUIDs as strings, instants as RFC 3339 UTC strings, tuples as
arrays. ``originator_topic`` (a Python class path) is not published: it is an internal
detail of the store, not part of the contract.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from pydantic import TypeAdapter

from crmcore.event_catalogue import EventType

UNPUBLISHED = {"originator_topic"}
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMMON_FIELDS = {
    "originator_id": "The aggregate the event belongs to.",
    "originator_version": "Position in that aggregate's history, from 1; unique with the id.",
    "timestamp": "Recording time (UTC): when the store learned of it.",
    "actor": "Who issued the command (rep-007, cli:alice, import:crm2, system:sweeper).",
    "occurred_at": "Business time (UTC): when it happened, which may precede recording.",
    "reason": "Why, as the actor said it.",
}


@cache
def _adapter(event_class: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(event_class)


def event_data(event: DomainEventProtocol[UUID]) -> dict[str, Any]:
    """The JSON-ready fields of ``event`` (its CloudEvent's ``data``, before PII rules)."""
    # Stored tuples come back from JSON as lists; pydantic warns, and writes them right.
    data: dict[str, Any] = _adapter(type(event)).dump_python(
        event, mode="json", warnings=False, exclude=UNPUBLISHED
    )
    return data


def data_schema(entry: EventType, schema_id: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of ``entry``'s ``data``, with ``schema_id`` as its $id."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generated = _adapter(entry.event_class).json_schema(mode="serialization")
    properties = {
        name: {**prop, "description": COMMON_FIELDS[name]} if name in COMMON_FIELDS else prop
        for name, prop in generated["properties"].items()
        if name not in UNPUBLISHED
    }
    required = [name for name in generated.get("required", []) if name not in UNPUBLISHED]
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        "title": entry.type,
        "description": _describe(entry),
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if "$defs" in generated:
        schema["$defs"] = generated["$defs"]
    return schema


def _describe(entry: EventType) -> str:
    doc = " ".join((entry.event_class.__doc__ or "").split())
    about = (
        f"The customer it is about is `{entry.customer_field}`."
        if entry.customer_field
        else f"It is about a {entry.subject_kind.replace('_', ' ')}, not a customer."
    )
    return f"{doc} {about}".strip()
