"""``crm customer merge|split``: joining two records of one customer, and undoing it."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.bootstrap import application
from adapters.cli.customer_commands import customer_app, print_outcome
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import reporting_errors
from crmcore import MergeCustomers, SplitCustomer, parse_command

Reason = Annotated[
    str, typer.Option("--reason", help="Why (required: the audit keeps it on the events).")
]


@customer_app.command("merge")
def merge_customers(
    survivor_id: Annotated[str, typer.Argument(help="The customer that remains.")],
    absorbed_id: Annotated[str, typer.Argument(help="The customer that becomes a tombstone.")],
    reason: Reason,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Merge ABSORBED_ID into SURVIVOR_ID: keys move, missing details are filled.

    The absorbed customer stays as a tombstone pointing at the survivor; commands and
    look-ups addressed to it reach the survivor. `crm customer split` undoes it.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            MergeCustomers,
            {
                "actor": settings.actor,
                "survivor_id": survivor_id.strip(),
                "absorbed_id": absorbed_id.strip(),
                "reason": reason,
            },
        )
        with application(settings) as app:
            record = app.get_customer(app.merge_customers(command))
        print_outcome("merged", f"{absorbed_id} into {record.customer_id}", record, json_output)


@customer_app.command("split")
def split_customer(
    tombstone_id: Annotated[str, typer.Argument(help="The merged (absorbed) customer.")],
    reason: Reason,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Undo a merge: TOMBSTONE_ID is a customer again, with the keys it brought."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            SplitCustomer,
            {"actor": settings.actor, "tombstone_id": tombstone_id.strip(), "reason": reason},
        )
        with application(settings) as app:
            record = app.get_customer(app.split_customer(command))
        print_outcome("split", f"{record.customer_id} off again", record, json_output)
