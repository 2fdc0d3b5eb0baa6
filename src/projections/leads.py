"""Every lead and where it stands, and the lead pool (线索池) as a page of it.

``leads`` holds one row per lead: its name, first channel, touches, latest score, owner
and status - ``pool`` (nobody works it: scored low, no rep eligible, or released or
recycled back), ``owned``, ``converted`` (it became a customer), ``merged`` (into
another lead) or ``erased`` (its personal data erased on request: nobody to call). An
owned lead's ownership is an ``Ownership`` like a customer's, so the ownership events
move a lead in and out of the pool here; the same events about a customer find no lead
row and change nothing. Rows derive from the log alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Index, Integer, String, Table, bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import BindParameter

from crmcore.domain.customer_erasure import Erased
from crmcore.domain.lead import Lead
from crmcore.domain.lead_erasure import LeadErased
from crmcore.domain.lead_merges import LeadAbsorbed, LeadMergedInto
from crmcore.domain.ownership import Ownership
from projections.personal import ERASED, PLAIN, PersonalSeal
from projections.projection import Projection, ViewWriter, new_value
from projections.tables import UtcDateTime, byte_ordered, views

leads = Table(
    "leads",
    views,
    Column("lead_id", String(36), primary_key=True),
    Column("name", String, nullable=True),
    Column("channel", String(16), nullable=False),
    Column("touches", Integer, nullable=False),
    Column("score", Integer, nullable=True),
    Column("owner", String, nullable=True, index=True),
    Column("status", String(10), nullable=False),
    Column("since", UtcDateTime, nullable=False),
    # Pool order: longest waiting first, ties by id in byte order (as the fold sorts).
    Column("pool_key", byte_ordered(36), nullable=True),
    Index("ix_leads_pool", "status", "since", "pool_key"),
)

_CID: BindParameter[str] = bindparam("cid")
_ERASED_STATUS = "erased"
_TOUCHED = (
    update(leads).where(leads.c.lead_id == _CID).values(touches=leads.c.touches + bindparam("more"))
)
_SCORED = update(leads).where(leads.c.lead_id == _CID).values(score=new_value(leads, "score"))
_STATUS = (
    update(leads)
    .where(leads.c.lead_id == _CID)
    .values(status=new_value(leads, "status"), owner=None)
)
_OWNED = (
    update(leads)
    .where(leads.c.lead_id == _CID, leads.c.status.in_(("pool", "owned")))
    .values(owner=new_value(leads, "owner"), status="owned", since=new_value(leads, "since"))
)
_POOLED = (
    update(leads)
    .where(leads.c.lead_id == _CID, leads.c.status == "owned")
    .values(owner=None, status="pool", since=new_value(leads, "since"))
)


def _captured(writer: ViewWriter, event: Lead.Captured) -> None:
    lead_id = str(event.originator_id)
    writer.insert(
        leads,
        {
            "lead_id": lead_id,
            # A company's name as it is; a person's sealed under the lead's data key
            # when the store protects personal data.
            "name": event.company_name
            or writer.personal.seal(event.originator_id, event.contact_name),
            "channel": event.touch["channel"],
            "touches": 1,
            "score": None,
            "owner": None,
            "status": "pool",
            "since": event.occurred_at,
            "pool_key": lead_id,
        },
    )


def _touched(writer: ViewWriter, event: Lead.Touched | LeadAbsorbed) -> None:
    more = len(event.touches) if isinstance(event, LeadAbsorbed) else 1
    writer.execute(_TOUCHED, {"cid": str(event.originator_id), "more": more})


def _scored(writer: ViewWriter, event: Lead.Scored) -> None:
    writer.execute(_SCORED, {"cid": str(event.originator_id), "new_score": event.score})


def _closed(writer: ViewWriter, event: Lead.Converted | LeadMergedInto) -> None:
    status = "converted" if isinstance(event, Lead.Converted) else "merged"
    writer.execute(_STATUS, {"cid": str(event.originator_id), "new_status": status})


def _owner_changed(writer: ViewWriter, event: Ownership.OwnerChanged) -> None:
    params = {"cid": str(event.customer_id), "new_owner": event.owner}
    writer.execute(_OWNED, {**params, "new_since": event.occurred_at})


def _owner_removed(writer: ViewWriter, event: Ownership.OwnerRemoved) -> None:
    writer.execute(_POOLED, {"cid": str(event.customer_id), "new_since": event.occurred_at})


def _erased(writer: ViewWriter, event: Erased) -> None:
    """The leads that became an erased customer lose their name (it may be a person's):
    it reads ``[erased]``."""
    subjects = [str(subject) for subject in event.subjects]
    writer.execute(update(leads).where(leads.c.lead_id.in_(subjects)).values(name=ERASED))


def _lead_erased(writer: ViewWriter, event: LeadErased) -> None:
    """An erased lead (and those merged into it) loses its name and leaves the pool and
    its owner's list: there is nobody left to call."""
    subjects = [str(subject) for subject in event.subjects]
    writer.execute(
        update(leads)
        .where(leads.c.lead_id.in_(subjects))
        .values(name=ERASED, status=_ERASED_STATUS, owner=None)
    )


LEADS_VIEW = Projection(
    name="leads",
    # 2: a person's name sealed under the lead's data key when the store protects
    # personal data, and "[erased]" for an erased lead's.
    layout=2,
    tables=(leads,),
    handlers={
        Lead.Captured: _captured,
        Lead.Touched: _touched,
        LeadAbsorbed: _touched,
        Lead.Scored: _scored,
        Lead.Converted: _closed,
        LeadMergedInto: _closed,
        Ownership.Assigned: _owner_changed,
        Ownership.Claimed: _owner_changed,
        Ownership.Transferred: _owner_changed,
        Ownership.Released: _owner_removed,
        Ownership.Recycled: _owner_removed,
        Erased: _erased,
        LeadErased: _lead_erased,
    },
)


@dataclass(frozen=True)
class LeadRow:
    lead_id: UUID
    name: str | None
    channel: str
    touches: int
    score: int | None
    owner: str | None
    status: str
    since: datetime


def lead_pool_page(
    engine: Engine, *, limit: int, offset: int = 0, personal: PersonalSeal = PLAIN
) -> list[LeadRow]:
    """Leads nobody works, longest waiting first: an index range, whatever the book
    (``personal``: the store's seal, which opens a person's name)."""
    query = (
        select(leads)
        .where(leads.c.status == "pool")
        .order_by(leads.c.since, leads.c.pool_key)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    ids = [UUID(row.lead_id) for row in rows]
    personal.prefetch(set(ids))
    return [
        LeadRow(
            lead_id,
            personal.open(lead_id, row.name),
            row.channel,
            row.touches,
            row.score,
            row.owner,
            row.status,
            row.since,
        )
        for lead_id, row in zip(ids, rows, strict=True)
    ]


def leads_by_status(engine: Engine) -> dict[str, int]:
    """How many leads are in each status (pool, owned, converted, merged, erased)."""
    query = select(leads.c.status, func.count()).group_by(leads.c.status)
    with engine.connect() as connection:
        counts: dict[str, int] = dict(connection.execute(query).tuples().all())
    return counts
