"""``crm demo``, act two: a sales team owns the book - assignment, follow-ups, the
sweeper recycling expired protection to the pool, and eight reps racing for one
customer in it.

Five weeks of business time run on the demo's simulated clock (which ends before the
real now, so the database stays usable afterwards); every step goes through the
public command API, and the claim race runs in eight processes on the same file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from rich.table import Table

from adapters.claim_race import claim_race
from adapters.cli.output import console
from adapters.settings import Settings
from crmcore import (
    AddRep,
    AssignCustomer,
    CrmApplication,
    ManualClock,
    RecordFollowUp,
    ValidationFailed,
    parse_command,
)

# (rep, team, region, supervisor)
TEAM = (
    ("zhang.wei", "north", "北京", True),
    ("wang.fang", "north", "北京", False),
    ("li.na", "north", "天津", False),
    ("liu.yang", "north", "河北", False),
    ("chen.jing", "east", "上海", True),
    ("yang.li", "east", "上海", False),
    ("zhao.lei", "east", "江苏", False),
    ("huang.min", "east", "浙江", False),
)
ASSIGNED = 60
DAYS = 36  # the simulated weeks the act spans, ending before the real now


def run_act(
    app: CrmApplication,
    clock: ManualClock,
    settings: Settings,
    customers: Sequence[UUID],
) -> dict[str, Any]:
    """Plays the act on ``customers`` (unowned ones from act one); returns its report.
    ``settings``: the book's, which the claim race's workers open it with."""
    for rep, team, region, supervisor in TEAM:
        app.add_rep(
            parse_command(
                AddRep,
                {
                    "actor": "demo",
                    "rep_id": rep,
                    "team": team,
                    "regions": region,
                    "supervisor": supervisor,
                    "tier": 3 if supervisor else 1,
                },
            )
        )
    book = list(customers[:ASSIGNED])
    clock.advance(hours=1)
    owners: dict[UUID, str] = {}
    rules: Counter[str] = Counter()
    for cid in book:
        change = app.assign_customer(
            parse_command(AssignCustomer, {"actor": "demo", "customer_id": cid})
        )
        owners[cid] = change.owner
        rules[change.rule] += 1

    clock.advance(days=1)
    worked = book[: ASSIGNED * 2 // 3]
    for cid in worked:
        _follow_up(app, clock, cid, owners[cid])
    bare = None
    try:
        _follow_up(app, clock, book[-1], owners[book[-1]], content="已跟进")
    except ValidationFailed as refusal:
        bare = str(refusal)

    clock.advance(days=2)
    first = app.sweep()
    for action in first.actions[: len(first.actions) // 2]:
        clock.advance(minutes=1)
        assert action.owner is not None
        _follow_up(app, clock, action.customer_id, action.owner)

    clock.set(clock.now() + timedelta(days=DAYS - 4))
    second = app.sweep()
    recycled = [a for a in second.actions if a.action == "recycled"]
    if not recycled:
        raise RuntimeError("the demo's book is too small for act two: use --customers 100+")
    contested = recycled[0].customer_id
    clock.advance(hours=1)
    racers = [rep for rep, *_ in TEAM]
    entries = claim_race(settings, app.config, racers, [contested], at=clock.now())
    winner = next(e.rep for e in entries if e.outcome == "won")
    return {
        "reps": len(TEAM),
        "assigned": dict(rules),
        "followed_up": len(worked),
        "bare_follow_up_refused": bare,
        "first_sweep": first.counts(),
        "second_sweep": second.counts(),
        "in_pool": len(app.pool()),
        "race": {
            "customer_id": str(contested),
            "processes": len(racers),
            "winner": winner,
            "entries": [
                {"rep": e.rep, "outcome": e.outcome, "rule": e.rule, "names": e.other_party}
                for e in sorted(entries, key=lambda e: e.rep)
            ],
        },
        "owner_now": app.ownership(contested).to_dict(),
    }


def _follow_up(
    app: CrmApplication, clock: ManualClock, cid: UUID, rep: str, content: str = "电话介绍了方案"
) -> None:
    app.record_follow_up(
        parse_command(
            RecordFollowUp,
            {
                "actor": rep,
                "customer_id": cid,
                "rep": rep,
                "channel": "phone",
                "content": content,
                "outcome": "客户要报价",
                "next_contact_at": clock.now() + timedelta(days=7),
            },
        )
    )


def show_act(report: dict[str, Any]) -> None:
    console.print("\n[bold]Act two: who owns what[/] (five simulated weeks)")
    console.print(
        f"{report['reps']} reps in two teams; {sum(report['assigned'].values())} customers "
        f"assigned by the rules: {report['assigned']}"
    )
    console.print(
        f"day 1: {report['followed_up']} valid follow-ups renew protection to 30 days; "
        f"a bare one is refused: [red]{report['bare_follow_up_refused']}[/]"
    )
    console.print(f"day 3, sweeper: {report['first_sweep']} (response SLA of 48 h missed)")
    console.print(
        f"day {DAYS}, sweeper: {report['second_sweep']} - expired protection goes back to the "
        f"pool (公海), which now holds {report['in_pool']}"
    )
    race = report["race"]
    table = Table(
        "rep",
        "outcome",
        "rule",
        "names",
        title=f"{race['processes']} processes claim one pool customer at once",
    )
    for e in race["entries"]:
        colour = "green" if e["outcome"] == "won" else "red"
        table.add_row(e["rep"], f"[{colour}]{e['outcome']}[/]", e["rule"] or "", e["names"] or "")
    console.print(table)
    console.print(
        f"[bold]one owner: {race['winner']}[/]; every other claim is refused by a named rule "
        "(protected: the winner; cooldown: the rep who let it go) and recorded as a collision."
    )
