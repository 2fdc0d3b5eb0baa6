"""The sales funnel: how many opportunities reached each stage, how many went on, and
how long they stayed - by rep, team, channel or month.

``funnel_stages`` holds one row per stage an opportunity entered: when, when it left
(None while it is there), and its owner. A gated move that passes stages enters each of
them on the way (in and out at once); a conditional skip does not. ``funnel_opportunities``
holds each opportunity's customer and where it stands. The report groups by the owner,
the owner's team (``sales_reps``), the customer's source channel
(``customer_directory``) or the month the opportunity was opened (a cohort), so it
needs those views too.
Rows derive from opportunity events alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, bindparam, or_, select, update
from sqlalchemy.engine import Engine

from crmcore.domain.opportunity import Opportunity
from projections.customer_directory import directory
from projections.projection import Projection, ViewWriter, new_value
from projections.sales_org import reps
from projections.tables import UtcDateTime, byte_ordered, views

opportunities = Table(
    "funnel_opportunities",
    views,
    # Ties on a time go by id in byte order, as the in-memory fold sorts.
    Column("opportunity_id", byte_ordered(36), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("owner", String, nullable=False, index=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("stage", String(40), nullable=False),
    Column("status", String(8), nullable=False),
    # The sweeper's question - open, not updated since T, not alerted for it - is a
    # range on (status, last_update_at).
    Column("last_update_at", UtcDateTime, nullable=False),
    Column("alerted_for", UtcDateTime, nullable=True),
    Index("ix_funnel_stale", "status", "last_update_at", "opportunity_id"),
)
stages = Table(
    "funnel_stages",
    views,
    Column("opportunity_id", String(36), primary_key=True),
    Column("stage", String(40), primary_key=True),
    # The notification id of the event that entered it (a stage may be entered again).
    Column("entered_no", Integer, primary_key=True, autoincrement=False),
    Column("owner", String, nullable=False, index=True),
    Column("entered_at", UtcDateTime, nullable=False),
    Column("left_at", UtcDateTime, nullable=True),
)

_LEAVE = (
    update(stages)
    .where(stages.c.opportunity_id == bindparam("oid"), stages.c.left_at.is_(None))
    .values(left_at=new_value(stages, "left_at"))
)
_MOVED = (
    update(opportunities)
    .where(opportunities.c.opportunity_id == bindparam("oid"))
    .values(stage=new_value(opportunities, "stage"), status=new_value(opportunities, "status"))
)
_FRESHER = bindparam("new_last_update_at", type_=opportunities.c.last_update_at.type)
_UPDATED = (
    update(opportunities)
    .where(
        opportunities.c.opportunity_id == bindparam("oid"),
        opportunities.c.last_update_at < _FRESHER,
    )
    .values(last_update_at=_FRESHER)
)
_ALERTED = (
    update(opportunities)
    .where(opportunities.c.opportunity_id == bindparam("oid"))
    .values(alerted_for=new_value(opportunities, "alerted_for"))
)


def _enter(writer: ViewWriter, oid: str, stage: str, owner: str, event: Any, left: bool) -> None:
    writer.insert(
        stages,
        {
            "opportunity_id": oid,
            "stage": stage,
            "entered_no": writer.notification_id,
            "owner": owner,
            "entered_at": event.occurred_at,
            "left_at": event.occurred_at if left else None,
        },
    )


def _opened(writer: ViewWriter, event: Opportunity.Opened) -> None:
    oid = str(event.originator_id)
    writer.insert(
        opportunities,
        {
            "opportunity_id": oid,
            "customer_id": str(event.customer_id),
            "owner": event.owner,
            "opened_at": event.occurred_at,
            "stage": event.stage,
            "status": "open",
            "last_update_at": event.occurred_at,
            "alerted_for": None,
        },
    )
    _enter(writer, oid, event.stage, event.owner, event, left=False)


def _advanced(writer: ViewWriter, event: Opportunity.Advanced) -> None:
    oid = str(event.originator_id)
    writer.execute(_LEAVE, {"oid": oid, "new_left_at": event.occurred_at})
    owner = writer.scalar(
        select(opportunities.c.owner).where(opportunities.c.opportunity_id == oid)
    )
    for stage in event.passed:
        _enter(writer, oid, stage, owner, event, left=True)
    _enter(writer, oid, event.to_stage, owner, event, left=False)
    writer.execute(
        _MOVED, {"oid": oid, "new_stage": event.to_stage, "new_status": event.status}
    )
    _updated(writer, event)


def _updated(writer: ViewWriter, event: Opportunity.Updated | Opportunity.Advanced) -> None:
    oid = str(event.originator_id)
    writer.execute(_UPDATED, {"oid": oid, "new_last_update_at": event.occurred_at})


def _alerted(writer: ViewWriter, event: Opportunity.StaleAlerted) -> None:
    oid = str(event.originator_id)
    writer.execute(_ALERTED, {"oid": oid, "new_alerted_for": event.last_update_at})


FUNNEL_VIEW = Projection(
    name="funnel",
    layout=1,
    tables=(opportunities, stages),
    handlers={
        Opportunity.Opened: _opened,
        Opportunity.Advanced: _advanced,
        Opportunity.Updated: _updated,
        Opportunity.StaleAlerted: _alerted,
    },
)


@dataclass(frozen=True)
class FunnelRow:
    """One stage for one group: how many reached it, how many of those went on to a
    later stage of the pipeline (a skip counts), and their mean days in it (of those
    that left it)."""

    group: str
    stage: str
    reached: int
    converted: int | None
    conversion: float | None
    mean_days: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "stage": self.stage,
            "reached": self.reached,
            "went_on": self.converted,
            "conversion": self.conversion,
            "mean_days_in_stage": self.mean_days,
        }


GROUPS = ("all", "rep", "team", "channel", "month")


def funnel_report(engine: Engine, pipeline: Sequence[str], by: str = "all") -> list[FunnelRow]:
    """The funnel per group (``by``: all, rep, team, channel, month) over ``pipeline``,
    the stages in order from first to won (lost is not a step of the funnel)."""
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}")
    query = (
        select(
            stages.c.opportunity_id,
            stages.c.stage,
            stages.c.owner,
            stages.c.entered_at,
            stages.c.left_at,
            opportunities.c.opened_at,
            reps.c.team,
            directory.c.source,
        )
        .select_from(
            stages.join(opportunities, opportunities.c.opportunity_id == stages.c.opportunity_id)
            .outerjoin(reps, reps.c.rep_id == stages.c.owner)
            .outerjoin(directory, directory.c.customer_id == opportunities.c.customer_id)
        )
    )
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    days: dict[tuple[str, str], list[float]] = defaultdict(list)
    with engine.connect() as connection:
        for row in connection.execute(query):
            group = _group(by, row)
            reached[(group, row.stage)].add(row.opportunity_id)
            if row.left_at is not None:
                days[(group, row.stage)].append(
                    (row.left_at - row.entered_at).total_seconds() / 86400
                )
    report = []
    for group in sorted({g for g, _ in reached}):
        for n, stage in enumerate(pipeline):
            here = reached.get((group, stage), set())
            went_on = None
            if n + 1 < len(pipeline):
                later = set().union(*(reached.get((group, s), set()) for s in pipeline[n + 1 :]))
                went_on = len(here & later)
            spent = days.get((group, stage))
            report.append(
                FunnelRow(
                    group,
                    stage,
                    len(here),
                    went_on,
                    round(went_on / len(here), 3) if went_on is not None and here else None,
                    round(sum(spent) / len(spent), 2) if spent else None,
                )
            )
    return report


def _group(by: str, row: Any) -> str:
    if by == "rep":
        return str(row.owner)
    if by == "team":
        return str(row.team or "(no team)")
    if by == "channel":
        return str(row.source or "(unknown)")
    if by == "month":  # a cohort: the month the opportunity was opened
        return str(row.opened_at.strftime("%Y-%m"))
    return "all"


STALE = (
    select(opportunities.c.opportunity_id)
    .where(
        opportunities.c.status == "open",
        opportunities.c.last_update_at
        <= bindparam("before", type_=opportunities.c.last_update_at.type),
        or_(
            opportunities.c.alerted_for.is_(None),
            opportunities.c.alerted_for != opportunities.c.last_update_at,
        ),
    )
    .order_by(opportunities.c.last_update_at, opportunities.c.opportunity_id)
)
"""Open opportunities not updated since ``before`` and not alerted for that (the
sweeper's question; ``projections.sales_queries`` asks it)."""
