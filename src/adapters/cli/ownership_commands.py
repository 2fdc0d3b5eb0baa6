"""``crm assign|claim|release|transfer|follow-up|sweep``, ``crm pool list`` and
``crm customer owner``: who owns a customer, and the public pool (公海).

A refusal exits 3 and names the rule (``protected``, ``daily_quota``, ``cooldown``...)
and the other party (the owner, the winner of a race).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.bootstrap import application, caught_up_views
from adapters.cli.customer_commands import customer_app, parse_customer_id
from adapters.cli.options import (
    ActorOption,
    AtOption,
    ConfigOption,
    DbOption,
    JsonOption,
    business_time,
    settings_from,
)
from adapters.cli.output import console, print_json, reporting_errors
from crmcore import (
    AssignCustomer,
    ClaimCustomer,
    FollowUpChannel,
    OwnerChange,
    RecordFollowUp,
    ReleaseCustomer,
    TransferCustomer,
    parse_command,
)
from crmcore.clock import parse_instant
from projections.customer_directory import DIRECTORY_VIEW
from projections.ownership import OWNERSHIP_VIEW, pool_page, pool_size

pool_app = typer.Typer(help="The public pool (公海).", no_args_is_help=True)

CustomerArg = Annotated[str, typer.Argument(help="The customer's id (a UUID).")]
RepOption = Annotated[str, typer.Option("--rep", help="The rep acting.")]


def _print_change(verb: str, change: OwnerChange, json_output: bool) -> None:
    if json_output:
        print_json(change.to_dict())
        return
    until = change.protected_until.isoformat() if change.protected_until else "long-term"
    console.print(
        f"[green]{verb}[/] {change.customer_id} to {change.owner} ({change.rule}); "
        f"protected until {until}, first contact due by "
        f"{change.respond_by.isoformat() if change.respond_by else '-'}"
    )


def assign(
    customer_id: CustomerArg,
    rep: Annotated[str | None, typer.Option(help="The rep; omitted, the rules choose.")] = None,
    product_line: Annotated[str | None, typer.Option(help="For the product line rule.")] = None,
    account_tier: Annotated[
        str | None, typer.Option(help="e.g. key: big accounts go to senior reps.")
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Give an unowned customer an owner: --rep, or the one the assignment rules pick."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        data = {
            "actor": settings.actor,
            "customer_id": parse_customer_id(customer_id),
            "rep": rep,
            "product_line": product_line,
            "account_tier": account_tier,
        }
        command = parse_command(AssignCustomer, data)
        with application(settings) as app:
            change = app.assign_customer(command)
        _print_change("assigned", change, json_output)


def claim(
    customer_id: CustomerArg,
    rep: RepOption,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Claim a customer from the pool for --rep (quota, capacity, cool-down apply)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor or rep)
        command = parse_command(
            ClaimCustomer,
            {"actor": settings.actor, "customer_id": parse_customer_id(customer_id), "rep": rep},
        )
        with application(settings) as app:
            change = app.claim_customer(command)
        _print_change("claimed", change, json_output)


def release(
    customer_id: CustomerArg,
    rep: RepOption,
    reason: Annotated[str, typer.Option(help="Why it goes back to the pool (required).")],
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Release a customer of --rep to the pool, with a reason."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor or rep)
        command = parse_command(
            ReleaseCustomer,
            {
                "actor": settings.actor,
                "customer_id": parse_customer_id(customer_id),
                "rep": rep,
                "reason": reason,
            },
        )
        with application(settings) as app:
            owner = app.release_customer(command)
            record = app.ownership(command.customer_id)
        if json_output:
            print_json(record.to_dict())
        else:
            console.print(f"[green]released[/] {command.customer_id} from {owner} to the pool")


def transfer(
    customer_id: CustomerArg,
    to: Annotated[str, typer.Option("--to", help="The rep who takes the customer.")],
    by: Annotated[str, typer.Option("--by", help="The supervisor of the owner's team.")],
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """A supervisor moves a customer from its owner to another rep."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor or by)
        command = parse_command(
            TransferCustomer,
            {
                "actor": settings.actor,
                "customer_id": parse_customer_id(customer_id),
                "to": to,
                "by": by,
                "occurred_at": business_time(at, settings),
            },
        )
        with application(settings) as app:
            change = app.transfer_customer(command)
        _print_change("transferred", change, json_output)


def follow_up(
    customer_id: CustomerArg,
    rep: RepOption,
    channel: Annotated[FollowUpChannel, typer.Option(help="How the customer was reached.")],
    content: Annotated[str, typer.Option(help="What was discussed ('done' is not enough).")],
    outcome: Annotated[str, typer.Option(help="What came of it.")],
    next_contact: Annotated[str, typer.Option("--next", help="When to contact next (ISO-8601).")],
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record a follow-up (跟进). By the owner it renews protection; by anybody else it
    is recorded as a collision and warned about."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor or rep)
        zone = settings.ownership.zone
        command = parse_command(
            RecordFollowUp,
            {
                "actor": settings.actor,
                "customer_id": parse_customer_id(customer_id),
                "rep": rep,
                "channel": channel,
                "content": content,
                "outcome": outcome,
                "next_contact_at": parse_instant(next_contact, "next", zone),
                "occurred_at": business_time(at, settings),
            },
        )
        with application(settings) as app:
            result = app.record_follow_up(command)
        if json_output:
            print_json(result.to_dict())
        elif result.counted:
            until = result.protected_until.isoformat() if result.protected_until else "long-term"
            console.print(f"[green]recorded[/]: protected until {until}")
        else:
            console.print(
                f"[yellow]recorded as a collision[/]: {result.owner} owns this customer; "
                "your contact does not renew anything"
            )


def sweep(
    now: Annotated[
        str | None,
        typer.Option(
            help="The instant to judge deadlines at (ISO-8601; not later "
            "than the clock) [default: now]."
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Recycle to the pool every customer whose protection or first-contact deadline
    passed, and reassign or escalate missed response SLAs. Safe to run again, and
    from two processes at once."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        at = parse_instant(now, "now", settings.ownership.zone) if now else None
        with application(settings) as app:
            report = app.sweep(at)
        if json_output:
            print_json(report.to_dict())
            return
        console.print(f"swept at {report.now.isoformat()}: {report.due} customers were due")
        for label, count in report.counts().items():
            console.print(f"  {label:<36} {count}")


@pool_app.command("list")
def list_pool(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """The customers in the pool, longest waiting first: since when, why, who had them
    (from the ownership and customer_directory views, caught up first)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with caught_up_views(settings, OWNERSHIP_VIEW, DIRECTORY_VIEW) as engine:
            entries = pool_page(engine, limit=limit, offset=offset)
            total = pool_size(engine)
        rows: list[dict[str, Any]] = [
            {
                "customer_id": str(e.customer_id),
                "name": e.name,
                "since": e.since.isoformat(),
                "reason": e.reason,
                "previous_owner": e.previous_owner,
                "cooldown_until": e.cooldown_until.isoformat() if e.cooldown_until else None,
            }
            for e in entries
        ]
        if json_output:
            print_json({"total": total, "customers": rows})
            return
        table = Table("customer", "name", "since", "why", "had it", "cool-down until")
        for row in rows:
            table.add_row(*(str(row[k] or "-") for k in row))
        console.print(table)
        console.print(f"{total} customers in the pool")


@customer_app.command("owner")
def customer_owner(
    customer_id: CustomerArg,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Who owns the customer now: protection, deadlines, collaborators, pool state."""
    with reporting_errors(json_output):
        with application(settings_from(db, config)) as app:
            record = app.ownership(parse_customer_id(customer_id))
        if json_output:
            print_json(record.to_dict())
            return
        table = Table("field", "value", show_header=False)
        for name, value in record.to_dict().items():
            if value not in (None, {}, []):
                table.add_row(name, str(value))
        console.print(table)
