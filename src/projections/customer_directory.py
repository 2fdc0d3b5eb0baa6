"""The customer directory: one row per customer, folded from the event log.

Built on demand by reading the log from the start; every row is derived from events
alone, so the directory can be rebuilt at any time and always gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from crmcore.domain import CUSTOMER_STATE_EVENTS, Customer, customer_merges
from crmcore.domain.customer import DETAIL_FIELDS
from crmcore.event_log import read_events, topics_of
from crmcore.identity import keys_of_contact

_TOPICS = topics_of(*CUSTOMER_STATE_EVENTS)


@dataclass(frozen=True)
class DirectoryRow:
    customer_id: UUID
    company_name: str | None
    contact_name: str | None
    region: str | None
    industry: str | None
    source: str | None
    key_count: int
    registered_at: datetime
    registered_by: str
    merged_into: UUID | None = None


def fold(events: Iterable[DomainEventProtocol[UUID]]) -> dict[UUID, DirectoryRow]:
    """Applies customer events in log order; other events are ignored."""
    rows: dict[UUID, DirectoryRow] = {}
    for event in events:
        cid = event.originator_id
        if isinstance(event, Customer.Registered):
            keys = len(
                keys_of_contact(
                    event.phones, event.emails, event.uscc, event.wechat, event.external_id
                )
            )
            rows[cid] = DirectoryRow(
                customer_id=cid,
                company_name=event.company_name,
                contact_name=event.contact_name,
                region=event.region,
                industry=event.industry,
                source=event.source,
                key_count=keys,
                registered_at=event.occurred_at,
                registered_by=event.actor,
            )
        elif isinstance(event, Customer.ContactDetailsCorrected):
            changes: dict[str, Any] = {k: v for k, v in event.changes.items() if k in DETAIL_FIELDS}
            rows[cid] = replace(rows[cid], **changes)
        elif isinstance(event, Customer.RecordMerged):
            filled: dict[str, Any] = {k: v for k, v in event.filled.items() if k in DETAIL_FIELDS}
            rows[cid] = replace(rows[cid], **filled)
        elif isinstance(event, customer_merges.Absorbed):
            filled = {k: v for k, v in event.filled.items() if k in DETAIL_FIELDS}
            count = rows[cid].key_count + len(event.keys)
            rows[cid] = replace(rows[cid], key_count=count, **filled)
        elif isinstance(event, customer_merges.SplitOff):
            emptied: dict[str, Any] = dict.fromkeys(n for n in event.reverted if n in DETAIL_FIELDS)
            count = rows[cid].key_count - len(event.keys)
            rows[cid] = replace(rows[cid], key_count=count, **emptied)
        elif isinstance(event, customer_merges.MergedInto):
            rows[cid] = replace(rows[cid], key_count=0, merged_into=event.survivor_id)
        elif isinstance(event, customer_merges.Restored):
            rows[cid] = replace(rows[cid], key_count=len(event.keys), merged_into=None)
        elif isinstance(event, Customer.IdentityKeyAdded):
            rows[cid] = replace(rows[cid], key_count=rows[cid].key_count + 1)
        elif isinstance(event, Customer.IdentityKeyRemoved):
            rows[cid] = replace(rows[cid], key_count=rows[cid].key_count - 1)
    return rows


def read_customer_events(app: Application[UUID]) -> Iterator[DomainEventProtocol[UUID]]:
    """Every customer event in the log, in recording order."""
    return (event for _, event in read_events(app, _TOPICS))


def customer_directory(
    app: Application[UUID], *, include_tombstones: bool = False
) -> list[DirectoryRow]:
    """All customers, oldest registration first; merged ones only when asked for."""
    rows = [
        row
        for row in fold(read_customer_events(app)).values()
        if include_tombstones or row.merged_into is None
    ]
    return sorted(rows, key=lambda row: (row.registered_at, str(row.customer_id)))
