"""``crm opportunity open|update|advance|show``: sales projects through the gated pipeline.

Gate fields are given as ``--set name=value`` (repeat it); the pipeline (stages, what
each requires, conditional skips) is ``[opportunities]`` in crm.toml.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import (
    ActorOption,
    ConfigOption,
    DbOption,
    JsonOption,
    parse_uuid,
    settings_from,
)
from adapters.cli.output import console, print_json, reporting_errors
from crmcore.errors import ValidationFailed

if TYPE_CHECKING:
    from crmcore.opportunities.records import OpportunityRecord

opportunity_app = typer.Typer(
    help="Open opportunities, move them through the gated pipeline, show them.",
    no_args_is_help=True,
)

Sets = Annotated[
    list[str] | None,
    typer.Option("--set", help="A gate field as name=value (repeat); name= clears it."),
]
IdArg = Annotated[str, typer.Argument(help="The opportunity's id (a UUID).")]


def parse_sets(values: list[str] | None) -> dict[str, str | None]:
    """``--set name=value`` options as a mapping; ValidationFailed naming ``set``."""
    details: dict[str, str | None] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed("set", f"{item!r} is not name=value")
        details[name.strip()] = value.strip() or None
    return details


@opportunity_app.command("open")
def open_opportunity(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a UUID).")],
    title: Annotated[str, typer.Option(help="What the project is called.")],
    category: Annotated[str, typer.Option(help="Product category (产品类别).")],
    need: Annotated[str | None, typer.Option(help="The need (需求背景) in words.")] = None,
    amount: Annotated[str | None, typer.Option(help="Expected value, e.g. 980000.")] = None,
    expected_close: Annotated[
        str | None, typer.Option(help="Expected close date, YYYY-MM-DD.")
    ] = None,
    sets: Sets = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Open an opportunity in the pipeline's first stage; a suspected same project is
    flagged (or refused, exit 3, in block mode) naming the one to continue in."""
    from crmcore.commands import parse_command
    from crmcore.opportunities.commands import OpenOpportunity

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        details = {k: v for k, v in parse_sets(sets).items() if v is not None}
        command = parse_command(
            OpenOpportunity,
            {
                "actor": settings.actor,
                "customer_id": parse_uuid(customer_id, "customer_id", "a customer"),
                "title": title,
                "product_category": category,
                "need": need,
                "amount": amount,
                "expected_close": _date(expected_close),
                "details": details,
            },
        )
        with application(settings) as app:
            record = app.open_opportunity(command)
        _print(record, json_output, "opened")
        flagged = record.suspected_duplicate_of
        if flagged and not json_output:
            console.print(f"[yellow]suspected same project[/]: continue in {flagged}")


@opportunity_app.command("update")
def update_opportunity(
    opportunity_id: IdArg,
    title: Annotated[str | None, typer.Option()] = None,
    need: Annotated[str | None, typer.Option()] = None,
    amount: Annotated[str | None, typer.Option()] = None,
    sets: Sets = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change an opportunity's title, need, amount or gate fields."""
    from crmcore.commands import parse_command
    from crmcore.opportunities.commands import UpdateOpportunity

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            UpdateOpportunity,
            {
                "actor": settings.actor,
                "opportunity_id": parse_uuid(opportunity_id, "opportunity_id", "an opportunity"),
                "title": title,
                "need": need,
                "amount": amount,
                "details": parse_sets(sets),
            },
        )
        with application(settings) as app:
            changed = app.update_opportunity(command)
            record = app.get_opportunity(command.opportunity_id)
        _print(record, json_output, "updated" if changed else "unchanged")


@opportunity_app.command("advance")
def advance_opportunity(
    opportunity_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The stage to move to.")],
    sets: Sets = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Move an opportunity to another stage; a gate refusal (exit 3) names the missing
    fields, and is recorded."""
    from crmcore.commands import parse_command
    from crmcore.opportunities.commands import AdvanceOpportunity

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            AdvanceOpportunity,
            {
                "actor": settings.actor,
                "opportunity_id": parse_uuid(opportunity_id, "opportunity_id", "an opportunity"),
                "to": to,
                "details": parse_sets(sets),
            },
        )
        with application(settings) as app:
            record = app.advance_opportunity(command)
        _print(record, json_output, f"moved to {record.stage}")


@opportunity_app.command("show")
def show_opportunity(
    opportunity_id: IdArg,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show an opportunity as it stands now."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        oid = parse_uuid(opportunity_id, "opportunity_id", "an opportunity")
        with application(settings) as app:
            record = app.get_opportunity(oid)
        _print(record, json_output, None)


def _date(value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed("expected_close", f"{value!r} is not a date (YYYY-MM-DD)") from None


def _print(record: OpportunityRecord, json_output: bool, verb: str | None) -> None:
    if json_output:
        print_json(record.to_dict())
        return
    if verb:
        console.print(f"[green]{verb}[/]: opportunity {record.opportunity_id}")
    table = Table(show_header=False)
    for name, value in record.to_dict().items():
        table.add_row(name, "" if value is None else str(value))
    console.print(table)
