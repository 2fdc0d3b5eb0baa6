"""The sales organisation as SQL tables: reps, their teams and books, and the rota.

``sales_reps`` holds one row per rep who ever joined: the whole profile (what the
assignment rules read), the team and supervisor flag pulled out of it (what "who
supervises this rep" asks), whether the rep still takes customers, how many customers
the rep holds now, and the claims of the rep's latest claim day (the daily quota).
``sales_claims`` counts each rep's claims per day (a rep's book over time: what a
manager reads beside the daily quota). ``sales_rota`` holds who had the last
round-robin assignment. Rows derive from the rep
and ownership events alone (the facts ``crmcore.ownership.folded_view`` folds in memory), so the
tables can be dropped and rebuilt.
"""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    String,
    Table,
    bindparam,
    case,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Engine

from crmcore.domain.ownership import Ownership
from crmcore.domain.rep import Rep, RepProfile
from projections.projection import Projection, ViewWriter, new_value
from projections.tables import byte_ordered, views

reps = Table(
    "sales_reps",
    views,
    # Assignment walks reps in id order (round robin's "next"): byte order everywhere.
    Column("rep_id", byte_ordered(64), primary_key=True),
    Column("team", String, nullable=True, index=True),
    Column("supervisor", Boolean, nullable=False),
    # JSON text with sorted keys: equal profiles are equal strings, so a reader parses
    # each distinct profile once (assignment reads every rep per decision).
    Column("profile", String, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("open_count", Integer, nullable=False),
    Column("claim_day", String(10), nullable=True),
    Column("claims_that_day", Integer, nullable=False),
    # The notification id of the event that last changed the row: a reader keeping the
    # reps in memory asks only for rows changed since it last looked.
    Column("changed", Integer, nullable=False, index=True),
)

claims = Table(
    "sales_claims",
    views,
    Column("rep_id", byte_ordered(64), primary_key=True),
    Column("day", String(10), primary_key=True),  # ISO date: sorts as it reads
    Column("claims", Integer, nullable=False),
)

rota = Table(
    "sales_rota",
    views,
    Column("slot", String(16), primary_key=True),
    Column("rep_id", String(64), nullable=False),
)

LAST_ROUND_ROBIN = "round_robin"  # the rota slot of the last round-robin rep


def _profile_columns(profile: dict[str, object]) -> dict[str, object]:
    parsed = RepProfile.from_fields(profile)
    text = json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {"profile": text, "team": parsed.team, "supervisor": parsed.supervisor}


@lru_cache(maxsize=4096)
def profile_of(text: str) -> RepProfile:
    """The profile a ``sales_reps.profile`` text holds (memoised: profiles seldom change)."""
    return RepProfile.from_fields(json.loads(text))


def _change(writer: ViewWriter, rep_id: str, **values: object) -> None:
    """Updates the rep's row and stamps it with the event applied."""
    writer.execute(
        update(reps).where(reps.c.rep_id == rep_id).values(**values, changed=writer.notification_id)
    )


# -- handlers --------------------------------------------------------------------------


def _joined(writer: ViewWriter, event: Rep.Joined) -> None:
    writer.insert(
        reps,
        {
            "rep_id": event.rep_id,
            **_profile_columns(event.profile),
            "active": True,
            "open_count": 0,
            "claim_day": None,
            "claims_that_day": 0,
            "changed": writer.notification_id,
        },
    )


def _profile_changed(writer: ViewWriter, event: Rep.ProfileChanged) -> None:
    _change(writer, event.rep_id, **_profile_columns(event.profile))


def _stopped_taking(writer: ViewWriter, event: Rep.HandoverStarted | Rep.Left) -> None:
    _change(writer, event.rep_id, active=False)


# Built once: every ownership change applies one of them (see ViewWriter.execute).
_rep = reps.c.rep_id == bindparam("rep")
_stamp = new_value(reps, "changed")
_TAKEN = update(reps).where(_rep).values(open_count=reps.c.open_count + 1, changed=_stamp)
_CLAIMED = (
    update(reps)
    .where(_rep)
    .values(
        open_count=reps.c.open_count + 1,
        # As the aggregate counts: a claim on a new day starts that day's count afresh.
        claims_that_day=case(
            (reps.c.claim_day == bindparam("day", type_=String), reps.c.claims_that_day + 1),
            else_=1,
        ),
        claim_day=new_value(reps, "claim_day"),
        changed=_stamp,
    )
)
_DROPPED = (
    update(reps)
    .where(_rep)
    .values(open_count=reps.c.open_count - bindparam("dropped", type_=Integer), changed=_stamp)
)


_rep_day = (claims.c.rep_id == bindparam("rep")) & (claims.c.day == bindparam("on_day"))
_CLAIMS_THAT_DAY = select(claims.c.claims).where(_rep_day)
_ONE_MORE_CLAIM = update(claims).where(_rep_day).values(claims=claims.c.claims + 1)


def _customer_taken(writer: ViewWriter, event: Rep.CustomerTaken) -> None:
    stamp = {"rep": event.rep_id, "new_changed": writer.notification_id}
    if event.how == "claimed":
        writer.execute(_CLAIMED, {**stamp, "day": event.day, "new_claim_day": event.day})
        that_day = {"rep": event.rep_id, "on_day": event.day}
        if writer.scalar(_CLAIMS_THAT_DAY, that_day) is None:
            writer.insert(claims, {"rep_id": event.rep_id, "day": event.day, "claims": 1})
        else:
            writer.execute(_ONE_MORE_CLAIM, that_day)
    else:
        writer.execute(_TAKEN, stamp)


def _customers_dropped(writer: ViewWriter, event: Rep.CustomersDropped) -> None:
    dropped = len(event.customer_ids)
    writer.execute(
        _DROPPED, {"rep": event.rep_id, "new_changed": writer.notification_id, "dropped": dropped}
    )


def _assigned(writer: ViewWriter, event: Ownership.Assigned) -> None:
    if not event.rule.startswith("round_robin"):
        return
    writer.execute(delete(rota).where(rota.c.slot == LAST_ROUND_ROBIN))
    writer.insert(rota, {"slot": LAST_ROUND_ROBIN, "rep_id": event.owner})


def claims_per_day(engine: Engine, rep_id: str, *, days: int = 14) -> list[tuple[str, int]]:
    """(day, claims) of the rep's latest ``days`` claim days, latest first."""
    query = (
        select(claims.c.day, claims.c.claims)
        .where(claims.c.rep_id == rep_id)
        .order_by(claims.c.day.desc())
        .limit(days)
    )
    with engine.connect() as connection:
        return [(day, count) for day, count in connection.execute(query)]


SALES_ORG_VIEW = Projection(
    name="sales_org",
    layout=2,
    tables=(reps, claims, rota),
    handlers={
        Rep.Joined: _joined,
        Rep.ProfileChanged: _profile_changed,
        Rep.HandoverStarted: _stopped_taking,
        Rep.Left: _stopped_taking,
        Rep.CustomerTaken: _customer_taken,
        Rep.CustomersDropped: _customers_dropped,
        Ownership.Assigned: _assigned,
    },
)
