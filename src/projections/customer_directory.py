"""The customer directory: one row per customer, what ``crm customer list`` pages through.

A persisted projection (:mod:`projections.runner`): one handler per customer event,
rows in the table ``customer_directory``. Every row derives from events alone, so the
table can be dropped and rebuilt and gives the same rows. Queries page in registration
order on an index, so listing 20 customers costs the same in a book of a million.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Table,
    and_,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from crmcore.domain import Customer, customer_merges
from crmcore.domain.customer import DETAIL_FIELDS
from crmcore.domain.customer_erasure import Erased
from crmcore.identity import keys_of_contact
from projections.personal import ERASED, PLAIN, PersonalSeal
from projections.projection import Projection, ViewWriter
from projections.tables import UtcDateTime, views

directory = Table(
    "customer_directory",
    views,
    Column("customer_id", String(36), primary_key=True),
    Column("company_name", String, nullable=True),
    Column("contact_name", String, nullable=True),
    Column("region", String, nullable=True, index=True),
    Column("industry", String, nullable=True, index=True),
    Column("source", String, nullable=True, index=True),
    Column("key_count", Integer, nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("registered_by", String, nullable=False, index=True),
    Column("merged_into", String(36), nullable=True),
    Index("ix_customer_directory_order", "merged_into", "registered_at", "customer_id"),
)


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

    @classmethod
    def of(cls, row: RowMapping, personal: PersonalSeal = PLAIN) -> DirectoryRow:
        """The row as stored, its contact opened (``[erased]`` once erased)."""
        merged = row["merged_into"]
        customer_id = UUID(row["customer_id"])
        return cls(
            customer_id=customer_id,
            company_name=row["company_name"],
            contact_name=personal.open(customer_id, row["contact_name"]),
            region=row["region"],
            industry=row["industry"],
            source=row["source"],
            key_count=row["key_count"],
            registered_at=row["registered_at"],
            registered_by=row["registered_by"],
            merged_into=UUID(merged) if merged else None,
        )


# -- handlers: one per event type ------------------------------------------------------


def _row(writer: ViewWriter, customer_id: UUID, **values: Any) -> None:
    writer.execute(
        update(directory).where(directory.c.customer_id == str(customer_id)).values(**values)
    )


def _details(writer: ViewWriter, customer_id: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """The directory's columns among ``changes``; a contact sealed under the customer's
    key when the store protects personal data."""
    details = {name: value for name, value in changes.items() if name in DETAIL_FIELDS}
    if details.get("contact_name") is not None:
        details["contact_name"] = writer.personal.seal(customer_id, details["contact_name"])
    return details


def _registered(writer: ViewWriter, event: Customer.Registered) -> None:
    keys = keys_of_contact(event.phones, event.emails, event.uscc, event.wechat, event.external_id)
    writer.insert(
        directory,
        {
            "customer_id": str(event.originator_id),
            "company_name": event.company_name,
            "contact_name": writer.personal.seal(event.originator_id, event.contact_name),
            "region": event.region,
            "industry": event.industry,
            "source": event.source,
            "key_count": len(keys),
            "registered_at": event.occurred_at,
            "registered_by": event.actor,
            "merged_into": None,
        },
    )


def _corrected(writer: ViewWriter, event: Customer.ContactDetailsCorrected) -> None:
    if details := _details(writer, event.originator_id, event.changes):
        _row(writer, event.originator_id, **details)


def _record_merged(writer: ViewWriter, event: Customer.RecordMerged) -> None:
    if details := _details(writer, event.originator_id, event.filled):
        _row(writer, event.originator_id, **details)


def _absorbed(writer: ViewWriter, event: customer_merges.Absorbed) -> None:
    count = directory.c.key_count + len(event.keys)
    _row(
        writer,
        event.originator_id,
        key_count=count,
        **_details(writer, event.originator_id, event.filled),
    )


def _split_off(writer: ViewWriter, event: customer_merges.SplitOff) -> None:
    emptied = dict.fromkeys(name for name in event.reverted if name in DETAIL_FIELDS)
    count = directory.c.key_count - len(event.keys)
    _row(writer, event.originator_id, key_count=count, **emptied)


def _merged_into(writer: ViewWriter, event: customer_merges.MergedInto) -> None:
    _row(writer, event.originator_id, key_count=0, merged_into=str(event.survivor_id))


def _restored(writer: ViewWriter, event: customer_merges.Restored) -> None:
    _row(writer, event.originator_id, key_count=len(event.keys), merged_into=None)


def _key_added(writer: ViewWriter, event: Customer.IdentityKeyAdded) -> None:
    _row(writer, event.originator_id, key_count=directory.c.key_count + 1)


def _key_removed(writer: ViewWriter, event: Customer.IdentityKeyRemoved) -> None:
    _row(writer, event.originator_id, key_count=directory.c.key_count - 1)


def _erased(writer: ViewWriter, event: Erased) -> None:
    """The customer and the tombstones merged into it (all ``subjects``) lose their
    contact, which reads ``[erased]`` where there was one; the customer its personal
    keys."""
    subjects = [str(subject) for subject in event.subjects]
    writer.execute(
        update(directory)
        .where(directory.c.customer_id.in_(subjects), directory.c.contact_name.is_not(None))
        .values(contact_name=ERASED)
    )
    _row(writer, event.originator_id, key_count=directory.c.key_count - event.personal_keys)


DIRECTORY_VIEW = Projection(
    name="customer_directory",
    # 2: the contact sealed under the customer's data key when the store protects
    # personal data, and "[erased]" where an erased customer had one.
    layout=2,
    tables=(directory,),
    handlers={
        Customer.Registered: _registered,
        Customer.ContactDetailsCorrected: _corrected,
        Customer.RecordMerged: _record_merged,
        customer_merges.Absorbed: _absorbed,
        customer_merges.SplitOff: _split_off,
        customer_merges.MergedInto: _merged_into,
        customer_merges.Restored: _restored,
        Customer.IdentityKeyAdded: _key_added,
        Customer.IdentityKeyRemoved: _key_removed,
        Erased: _erased,
    },
)


# -- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilter:
    """Which customers a listing shows; fields left None do not filter."""

    region: str | None = None
    industry: str | None = None
    source: str | None = None
    registered_by: str | None = None
    include_tombstones: bool = False

    def where(self) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [
            directory.c[name] == value
            for name in ("region", "industry", "source", "registered_by")
            if (value := getattr(self, name)) is not None
        ]
        if not self.include_tombstones:
            conditions.append(directory.c.merged_into.is_(None))
        return and_(True, *conditions)


_ORDER = (directory.c.registered_at, directory.c.customer_id)


def customer_page(
    engine: Engine,
    *,
    limit: int,
    offset: int = 0,
    where: DirectoryFilter | None = None,
    personal: PersonalSeal = PLAIN,
) -> list[DirectoryRow]:
    """One page of customers, oldest registration first (``personal``: the store's seal,
    which opens the contacts)."""
    query = (
        select(directory)
        .where((where or DirectoryFilter()).where())
        .order_by(*_ORDER)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    personal.prefetch({UUID(row["customer_id"]) for row in rows})
    return [DirectoryRow.of(row, personal) for row in rows]


def count_customers(engine: Engine, where: DirectoryFilter | None = None) -> int:
    """How many customers the filter selects."""
    query = select(func.count()).select_from(directory).where((where or DirectoryFilter()).where())
    with engine.connect() as connection:
        count: int = connection.execute(query).scalar_one()
    return count


def every_customer(
    connection: Connection, where: DirectoryFilter | None = None, personal: PersonalSeal = PLAIN
) -> Iterator[DirectoryRow]:
    """Every selected customer in registration order, streamed (an export of a million
    rows does not hold them in memory), a thousand at a time: their keys in one read."""
    query = select(directory).where((where or DirectoryFilter()).where()).order_by(*_ORDER)
    result = connection.execution_options(yield_per=1_000).execute(query).mappings()
    for rows in result.partitions():
        personal.prefetch({UUID(row["customer_id"]) for row in rows})
        yield from (DirectoryRow.of(row, personal) for row in rows)
