"""``crm rep add|leave|show``: the sales organisation."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.bootstrap import application, open_views
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from crmcore import AddRep, RepLeaves, parse_command
from crmcore.ownership.reps import RepRecord
from projections.sales_org import SALES_ORG_VIEW, claims_per_day

rep_app = typer.Typer(help="Add reps, change them, and hand over when one leaves.")

RepArg = Annotated[str, typer.Argument(help="The rep's id, e.g. rep-007 or 王伟.")]
Names = Annotated[list[str] | None, typer.Option(help="Repeat, or separate values with ';'.")]


@rep_app.command("add")
def add_rep(
    rep_id: RepArg,
    team: Annotated[str | None, typer.Option(help="The rep's team.")] = None,
    supervisor: Annotated[
        bool, typer.Option("--supervisor", help="Supervises the team (transfers, escalations).")
    ] = False,
    region: Names = None,
    industry: Names = None,
    product_line: Names = None,
    channel: Names = None,
    capacity: Annotated[
        int | None, typer.Option(help="Most open customers [default: ownership.default_capacity].")
    ] = None,
    tier: Annotated[int, typer.Option(help="Seniority, 1 (junior) to 10.")] = 1,
    weight: Annotated[
        float, typer.Option(help="Performance weight (the performance picker).")
    ] = 1.0,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add REP_ID to the sales organisation; for a rep already added, replace the profile."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            AddRep,
            {
                "actor": settings.actor,
                "rep_id": rep_id,
                "team": team,
                "supervisor": supervisor,
                "regions": ";".join(region or []),
                "industries": ";".join(industry or []),
                "product_lines": ";".join(product_line or []),
                "channels": ";".join(channel or []),
                "capacity": capacity,
                "tier": tier,
                "weight": weight,
            },
        )
        with application(settings) as app:
            rep, outcome = app.add_rep(command)
        if json_output:
            print_json({**rep.to_dict(), "outcome": outcome})
        else:
            console.print(f"[green]{outcome}[/] {_describe(rep)}")


@rep_app.command("leave")
def leave(
    rep_id: RepArg,
    handover_to: Annotated[
        str | None, typer.Option(help="The rep who takes over every customer.")
    ] = None,
    to_pool: Annotated[
        bool, typer.Option("--to-pool", help="Release them all to the pool.")
    ] = False,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """REP_ID leaves (离职交接): every customer, most important first, goes to
    --handover-to or to the pool. Interrupted, run it again: it resumes."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            RepLeaves,
            {
                "actor": settings.actor,
                "rep_id": rep_id,
                "handover_to": handover_to,
                "to_pool": to_pool,
            },
        )
        with application(settings) as app:
            moved = app.rep_leaves(command)
            rep = app.get_rep(command.rep_id)
        if json_output:
            print_json(
                {
                    **rep.to_dict(),
                    "moved": [{"customer_id": str(c), "action": a} for c, a in moved],
                }
            )
            return
        destination = command.handover_to or "the pool"
        console.print(
            f"[green]{rep.rep_id} has left[/]: {len(moved)} customers went to {destination}"
        )
        for customer_id, action in moved:
            console.print(f"  {action:<12} {customer_id}")


@rep_app.command("show")
def show(
    rep_id: RepArg,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a rep's profile, status, how many customers they hold, and their claims on
    each of their latest 14 claim days (from the `sales_org` view)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with application(settings) as app:
            rep = app.get_rep(rep_id.strip())
            runner = open_views(settings, app, SALES_ORG_VIEW)
            try:
                runner.catch_up()
                days = claims_per_day(runner.engine, rep.rep_id)
            finally:
                runner.engine.dispose()
        if json_output:
            claimed = [{"day": day, "claims": n} for day, n in days]
            print_json({**rep.to_dict(), "claims_per_day": claimed})
        else:
            console.print(_describe(rep))
            if days:
                shown = ", ".join(f"{day} {n}" for day, n in days)
                console.print(f"  claims per day (latest first): {shown}")


def _describe(rep: RepRecord) -> str:
    profile = rep.profile
    role = "supervisor" if profile.supervisor else "rep"
    covers = ", ".join(profile.regions + profile.industries + profile.product_lines) or "-"
    return (
        f"{rep.rep_id} ({role}, team {profile.team or '-'}, tier {profile.tier}, "
        f"{rep.status}): {rep.open_count}/{profile.capacity} customers; covers {covers}"
    )
