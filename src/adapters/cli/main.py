"""The ``crm`` entry point: wires the command groups together."""

from __future__ import annotations

import typer

from adapters.cli.config_commands import config_app
from adapters.cli.customer_commands import customer_app
from adapters.cli.demo_command import demo
from adapters.cli.duplicate_commands import duplicates_app
from adapters.cli.events_commands import events_app
from adapters.cli.group_commands import group_app
from adapters.cli.merge_commands import merge_customers, split_customer
from adapters.cli.ownership_commands import (
    assign,
    claim,
    customer_owner,
    follow_up,
    pool_app,
    release,
    sweep,
    transfer,
)
from adapters.cli.projection_commands import projections_app
from adapters.cli.relay_commands import relay_app
from adapters.cli.rep_commands import rep_app
from adapters.cli.transfer_commands import export_app, import_app

app = typer.Typer(
    name="crm",
    help="crmcore: one customer, one record, one owner. Exit codes: 0 ok, 2 invalid "
    "input, 3 refused by a rule, 4 not found.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(customer_app, name="customer")
app.add_typer(config_app, name="config")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(projections_app, name="projections")
app.add_typer(group_app, name="group")
app.add_typer(rep_app, name="rep")
app.add_typer(pool_app, name="pool")
app.add_typer(relay_app, name="relay")
app.add_typer(events_app, name="events")
app.command("assign")(assign)
app.command("claim")(claim)
app.command("release")(release)
app.command("transfer")(transfer)
app.command("follow-up")(follow_up)
app.command("sweep")(sweep)
app.command("demo")(demo)

# Registered on `crm customer` by importing them; named here so the import is not "unused".
_CUSTOMER_COMMANDS = (merge_customers, split_customer, customer_owner)


def run() -> None:
    app()
