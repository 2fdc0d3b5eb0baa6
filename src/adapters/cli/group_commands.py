"""``crm group link|unlink|show|history``: group trees (集团/子公司/分公司/事业部)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.tree import Tree

from adapters.bootstrap import application
from adapters.cli.customer_commands import parse_customer_id
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from crmcore import GroupRelation, GroupView, LinkCustomer, UnlinkCustomer, parse_command
from crmcore.event_log import customer_of

group_app = typer.Typer(
    help="Link customers into group trees and read a group as one.", no_args_is_help=True
)

CustomerArg = Annotated[str, typer.Argument(help="A customer's id (a UUID).")]
ReasonOption = Annotated[str | None, typer.Option(help="Why, recorded on the events.")]
_RELATION_NAMES = {
    GroupRelation.SUBSIDIARY: "子公司 subsidiary",
    GroupRelation.BRANCH: "分公司 branch",
    GroupRelation.DIVISION: "事业部 division",
}


@group_app.command("link")
def link(
    child_id: Annotated[str, typer.Argument(help="The customer that hangs below.")],
    parent_id: Annotated[str, typer.Argument(help="The customer it hangs below.")],
    relation: Annotated[
        GroupRelation, typer.Option(help="subsidiary (子公司), branch (分公司), division (事业部).")
    ],
    reason: ReasonOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Hang CHILD_ID (and everything below it) below PARENT_ID.

    Exit 3 if CHILD_ID already has a parent (rule has_parent) or PARENT_ID is below it
    (rule cycle).
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            LinkCustomer,
            {
                "actor": settings.actor,
                "child_id": child_id.strip(),
                "parent_id": parent_id.strip(),
                "relation": relation,
                "reason": reason,
            },
        )
        with application(settings) as app:
            app.link_customer(command)
            view = app.group_of(command.parent_id)
        _print_view("linked", view, json_output)


@group_app.command("unlink")
def unlink(
    customer_id: CustomerArg,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Take CUSTOMER_ID (and everything below it) out of its group."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            UnlinkCustomer,
            {"actor": settings.actor, "customer_id": customer_id.strip(), "reason": reason},
        )
        with application(settings) as app:
            app.unlink_customer(command)
            view = app.group_of(command.customer_id)
        _print_view("unlinked", view, json_output, command.customer_id)


@group_app.command("show")
def show(
    customer_id: CustomerArg,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the group tree CUSTOMER_ID is in."""
    with reporting_errors(json_output):
        cid = parse_customer_id(customer_id)
        with application(settings_from(db, config)) as app:
            view = app.group_of(cid)
        _print_view("group", view, json_output, cid)


@group_app.command("history")
def history(
    customer_id: CustomerArg,
    limit: Annotated[int, typer.Option(min=1, help="Show the latest this many.")] = 50,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """The history of every member of CUSTOMER_ID's group, as one timeline (read-only)."""
    with reporting_errors(json_output):
        cid = parse_customer_id(customer_id)
        with application(settings_from(db, config)) as app:
            events = app.group_history(cid)[-limit:]
            names = {
                member: app.get_customer(member, follow_merges=False).company_name
                for member in {customer_of(e) for e in events}
            }
        rows = [
            {
                "recorded_at": e.timestamp.isoformat(),
                "customer_id": str(customer_of(e)),
                "customer": names[customer_of(e)],
                "event": type(e).__name__,
                "actor": e.actor,
                "reason": e.reason,
            }
            for e in events
        ]
        if json_output:
            print_json(rows)
            return
        for row in rows:
            console.print(
                f"{row['recorded_at']}  {row['customer'] or row['customer_id']}  "
                f"[bold]{row['event']}[/] by {row['actor']}"
                + (f" ({row['reason']})" if row["reason"] else "")
            )


def _print_view(
    outcome: str, view: GroupView | None, json_output: bool, customer_id: UUID | None = None
) -> None:
    if json_output:
        print_json({"outcome": outcome, "group": view.to_dict() if view else None})
        return
    if view is None:
        console.print(f"[green]{outcome}[/] customer {customer_id} is in no group")
        return
    console.print(f"[green]{outcome}[/] group {view.group_id}")
    nodes: dict[object, Tree] = {}
    root = Tree(_label(view.members[0].name, view.members[0].customer_id, None))
    nodes[view.root_id] = root
    for member in view.members[1:]:
        parent = nodes[member.parent_id]
        nodes[member.customer_id] = parent.add(
            _label(member.name, member.customer_id, member.relation)
        )
    console.print(root)


def _label(name: str | None, customer_id: object, relation: GroupRelation | None) -> str:
    kind = f" [dim]{_RELATION_NAMES[relation]}[/]" if relation else ""
    return f"{name or '(no name)'} [dim]{customer_id}[/]{kind}"
