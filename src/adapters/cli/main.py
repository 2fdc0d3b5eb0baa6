"""The ``crm`` entry point: the command catalogue, loaded one command at a time.

Importing every command module costs more than a second (the identity libraries,
SQLAlchemy, pydantic models), and most invocations run one command. So the top level
knows each command by name and one-line help only (what ``crm --help`` lists), and
imports a command's module when that command runs. ``tests/e2e/test_cli.py`` checks
that each line here opens the help of the command it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Entry:
    """A top-level command: where it lives, and the line ``crm --help`` shows for it."""

    module: str
    attribute: str
    summary: str
    # Modules that add subcommands to this group when imported, with the subcommands
    # each adds (`customer merge`): only the one a command line names is imported.
    extends: dict[str, tuple[str, ...]] = field(default_factory=dict)


_CLI = "adapters.cli."
CATALOGUE: dict[str, Entry] = {
    "assign": Entry(
        "ownership_commands",
        "assign",
        "Give an unowned customer an owner: --rep, or the one the assignment rules pick.",
    ),
    "claim": Entry(
        "ownership_commands",
        "claim",
        "Claim a customer from the pool for --rep (quota, capacity, cool-down apply).",
    ),
    "release": Entry(
        "ownership_commands", "release", "Release a customer of --rep to the pool, with a reason."
    ),
    "transfer": Entry(
        "ownership_commands",
        "transfer",
        "A supervisor moves a customer from its owner to another rep.",
    ),
    "follow-up": Entry(
        "ownership_commands",
        "follow_up",
        "Record a follow-up (跟进). By the owner it renews protection; by anybody else it "
        "is recorded as a collision and warned about.",
    ),
    "sweep": Entry(
        "ownership_commands",
        "sweep",
        "Recycle to the pool every customer whose protection or first-contact deadline "
        "passed, and reassign or escalate missed response SLAs. Safe to run again, and from "
        "two processes at once.",
    ),
    "demo": Entry(
        "demo_command",
        "demo",
        "Generate a realistic customer book with duplicates and register it.",
    ),
    "customer": Entry(
        "customer_commands",
        "customer_app",
        "Register, show, list and erase customers.",
        extends={
            "merge_commands": ("merge", "split"),
            "ownership_commands": ("owner",),
            "history_commands": ("owners",),
        },
    ),
    "lead": Entry(
        "lead_commands",
        "lead_app",
        "Capture leads from every channel; show a lead's touches; convert or erase a lead.",
        extends={"report_commands": ("pool",)},
    ),
    "opportunity": Entry(
        "opportunity_commands",
        "opportunity_app",
        "Open opportunities, move them through the gated pipeline, show them.",
    ),
    "order": Entry(
        "order_commands",
        "order_app",
        "Orders: sign, deliver, accept, invoice; each credited at its business time.",
    ),
    "payment": Entry("order_commands", "payment_app", "Payments (回款) against orders."),
    "report": Entry(
        "report_commands",
        "report_app",
        "Reports: collisions, the funnel, attribution, the pool (tables, JSON, CSV, HTML).",
        extends={"monthly_report_commands": ("collisions", "pool")},
    ),
    "audit": Entry(
        "audit_commands",
        "audit_app",
        "Audit: who owned a customer when, as known when; timelines; dispute verdicts.",
    ),
    "config": Entry("config_commands", "config_app", "Inspect settings and rules."),
    "import": Entry(
        "transfer_commands",
        "import_app",
        "Bring customers and leads in from files.",
        extends={"lead_import_commands": ("leads",)},
    ),
    "export": Entry("transfer_commands", "export_app", "Write customers out to files."),
    "duplicates": Entry(
        "duplicate_commands",
        "duplicates_app",
        "Find, list and dismiss suspected duplicate customers.",
    ),
    "projections": Entry(
        "projection_commands",
        "projections_app",
        "Read models kept as SQL tables: status, rebuild, follow.",
    ),
    "group": Entry(
        "group_commands",
        "group_app",
        "Link customers into group trees and read a group as one.",
    ),
    "rep": Entry(
        "rep_commands", "rep_app", "Add reps, change them, and hand over when one leaves."
    ),
    "pool": Entry("ownership_commands", "pool_app", "The public pool (公海)."),
    "relay": Entry(
        "relay_commands", "relay_app", "Publish every stored event to Kafka as CloudEvents JSON."
    ),
    "pii": Entry(
        "pii_commands",
        "pii_app",
        "Personal data at rest: whether it is encrypted, under which master key; rotation.",
    ),
    "events": Entry(
        "events_commands", "events_app", "The published events: read them, document them."
    ),
}


def load(name: str, subcommand: str | None = None) -> Any:
    """The click command ``name`` stands for, with its module imported - and, of the
    modules extending it, the one adding ``subcommand``; all of them when there is none
    (help lists every subcommand) or when the group does not know it (so "no such
    command" can suggest one an extension adds)."""
    entry = CATALOGUE[name]
    named = [m for m, subcommands in entry.extends.items() if subcommand in subcommands]
    for extension in named if subcommand is not None else entry.extends:
        import_module(_CLI + extension)
    command = _command(name, entry)
    unknown = isinstance(command, TyperGroup) and subcommand not in command.commands
    if subcommand is not None and not named and unknown and entry.extends:
        return load(name)
    return command


def _command(name: str, entry: Entry) -> Any:
    target = getattr(import_module(_CLI + entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False)
    single.command(name)(target)
    return typer.main.get_command(single)


class _Catalogue(TyperGroup):
    """Lists every command from the catalogue; imports one only to run it."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in CATALOGUE.items():
            # Stands in for the command in listings (and "did you mean" suggestions).
            self.commands[name] = TyperCommand(name, help=entry.summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else None
        if name in CATALOGUE:
            # Built afresh each time (cheap once imported): a group built for one
            # subcommand may lack the extensions another one needs.
            subcommand = args[1] if len(args) > 1 and not args[1].startswith("-") else None
            self.commands[name] = load(name, subcommand)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="crm",
    cls=_Catalogue,
    help="crmcore: one customer, one record, one owner. Exit codes: 0 ok, 2 invalid "
    "input, 3 refused by a rule, 4 not found.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _top() -> None:
    """The group's own options (none besides --help)."""


def run() -> None:
    app()
