"""The monthly reports people act on: collisions (撞单率) and the pool's flows.

**Collision rate** of a month: of the customers entered or contested that month, the
share that was contested - customers with at least one collision (a duplicate entry
refused or warned about, a claim or contact by someone else, a cross-group flag) over
customers registered that month plus contested customers registered before it. It
is at most 100%, and it is the seeds' 撞单率: 15-30% before a CRM, 1-3% after. Per
channel (and per rep), the numerator is the customers contested through that channel
(by that rep) over the same denominator; a customer contested through two channels
counts in both. The channel of a duplicate is its entry path (register, import,
lead_capture, conversion), of an ownership collision its contact channel or, without
one, what was attempted (claim, transfer, ...).

**Pool flows** come from the ownership timeline: a period ended by a release or a
recycling is an inflow (by reason), a period begun by a claim an outflow.

Both read their views' rows once and group them by month in Python, the same on
SQLite and PostgreSQL, holding per month only the contested customers' ids; a report
is a batch read, never on a command's path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine

from projections.collisions import collisions
from projections.customer_directory import directory
from projections.ownership_timeline import periods


@dataclass
class MonthOfCollisions:
    month: str
    entries: int = 0  # customers registered this month
    collisions: int = 0  # collision events
    duplicates: int = 0  # of which duplicate entries
    contested: set[str] = field(default_factory=set)
    contested_earlier: set[str] = field(default_factory=set)  # registered before the month
    by_channel: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_rep: Counter[str] = field(default_factory=Counter)  # collision events per rep
    rep_customers: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_resolution: Counter[str] = field(default_factory=Counter)

    @property
    def base(self) -> int:
        """Customers entered or contested this month: the rate's denominator."""
        return self.entries + len(self.contested_earlier)

    @property
    def rate(self) -> float | None:
        return len(self.contested) / self.base if self.base else None

    def channel_rate(self, channel: str) -> float:
        return len(self.by_channel.get(channel, ())) / self.base if self.base else 0.0

    def rep_rate(self, rep: str) -> float:
        return len(self.rep_customers.get(rep, ())) / self.base if self.base else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "entries": self.entries,
            "contested_customers": len(self.contested),
            "collisions": self.collisions,
            "duplicates": self.duplicates,
            "rate": self.rate,
            "by_channel": {c: len(ids) for c, ids in sorted(self.by_channel.items())},
            "by_rep": dict(self.by_rep.most_common()),
            "by_resolution": dict(sorted(self.by_resolution.items())),
        }


M = TypeVar("M")


def _month_of(months: dict[str, M], at: datetime, make: Callable[[str], M]) -> M:
    """The row of ``at``'s month (YYYY-MM), made on first use."""
    key = f"{at:%Y-%m}"
    found = months.get(key)
    if found is None:
        found = months[key] = make(key)
    return found


def resolution_of(kind: str, refused: bool, lost_race: bool) -> str:
    """How a collision ended, in the words of the monthly report."""
    if kind == "duplicate":
        return "blocked" if refused else "created_with_warning"
    if kind == "group":
        return "flagged"
    if refused:
        return "lost_race" if lost_race else "refused"
    return "warned"


def collision_months(engine: Engine) -> list[MonthOfCollisions]:
    """One row per month with entries or collisions, oldest first."""
    months: dict[str, MonthOfCollisions] = {}
    c, d = collisions.c, directory.c
    query = select(
        c.occurred_at,
        c.customer_id,
        c.kind,
        c.rep,
        c.attempted,
        c.channel,
        c.refused,
        c.lost_race,
        d.registered_at,
    ).join_from(collisions, directory, c.customer_id == d.customer_id, isouter=True)
    with engine.connect() as connection:
        for at in connection.execute(select(d.registered_at)).scalars():
            _month_of(months, at, MonthOfCollisions).entries += 1
        for row in connection.execute(query):
            m = _month_of(months, row.occurred_at, MonthOfCollisions)
            customer = row.customer_id
            m.collisions += 1
            m.contested.add(customer)
            if row.registered_at is None or f"{row.registered_at:%Y-%m}" != m.month:
                m.contested_earlier.add(customer)
            m.by_channel[row.channel or row.attempted].add(customer)
            m.by_rep[row.rep] += 1
            m.rep_customers[row.rep].add(customer)
            m.by_resolution[resolution_of(row.kind, row.refused, row.lost_race)] += 1
            m.duplicates += row.kind == "duplicate"
    return [months[key] for key in sorted(months)]


@dataclass
class MonthOfPool:
    month: str
    inflow: Counter[str] = field(default_factory=Counter)  # by reason
    outflow: int = 0  # claims

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "inflow": sum(self.inflow.values()),
            "inflow_by_reason": dict(sorted(self.inflow.items())),
            "outflow": self.outflow,
        }


def pool_months(engine: Engine) -> list[MonthOfPool]:
    """Customers into the pool (released, recycled by cause) and claimed out, by month."""
    months: dict[str, MonthOfPool] = {}
    p = periods.c
    query = select(p.started_at, p.began_how, p.ended_at, p.ended_how, p.end_reason)
    with engine.connect() as connection:
        for row in connection.execute(query):
            if row.began_how == "claimed":
                _month_of(months, row.started_at, MonthOfPool).outflow += 1
            if row.ended_how in ("released", "recycled") and row.ended_at is not None:
                reason = row.end_reason if row.ended_how == "recycled" else "released"
                _month_of(months, row.ended_at, MonthOfPool).inflow[reason or row.ended_how] += 1
    return [months[key] for key in sorted(months)]
