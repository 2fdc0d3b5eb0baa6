"""``crm customer add|show|list|erase``: the option names are the CSV import's column names.

``merge`` and ``split`` are in :mod:`adapters.cli.merge_commands`; group trees in
:mod:`adapters.cli.group_commands`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer
from rich.table import Table

from adapters.bootstrap import application, caught_up_reads
from adapters.cli.options import (
    ActorOption,
    AtOption,
    ConfigOption,
    DbOption,
    ErasureReasonOption,
    JsonOption,
    business_time,
    parse_uuid,
    settings_from,
)
from adapters.cli.output import console, plain, print_json, reporting_errors
from projections.customer_directory import (
    DIRECTORY_VIEW,
    DirectoryFilter,
    count_customers,
    customer_page,
)

if TYPE_CHECKING:
    from crmcore.records import CustomerRecord

# The command models, the disclosure rules and the application are imported by the
# commands that use them: `crm customer list` reads a view and starts without them.

customer_app = typer.Typer(help="Register, show, list and erase customers.", no_args_is_help=True)

Text = Annotated[str | None, typer.Option()]
Texts = Annotated[list[str] | None, typer.Option(help="Repeat, or separate values with ';'.")]


@customer_app.command("add")
def add_customer(
    company_name: Annotated[str | None, typer.Option(help="e.g. 北京某某科技有限公司.")] = None,
    contact_name: Annotated[str | None, typer.Option(help="Contact person's name.")] = None,
    phone: Texts = None,
    email: Texts = None,
    uscc: Annotated[str | None, typer.Option(help="Unified social credit code (18 chars).")] = None,
    wechat: Annotated[str | None, typer.Option(help="WeChat id.")] = None,
    region: Text = None,
    industry: Text = None,
    source: Annotated[str | None, typer.Option(help="Source channel, e.g. 展会, 官网.")] = None,
    external_id: Annotated[str | None, typer.Option(help="The source system's id.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, recorded on the event.")] = None,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a customer; exit 3 naming the existing customer if a key is taken."""
    from crmcore.commands import RegisterCustomer, parse_command
    from crmcore.disclosure import disclose_collision

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            RegisterCustomer,
            {
                "actor": settings.actor,
                "company_name": company_name,
                "contact_name": contact_name,
                "phone": ";".join(phone or []),
                "email": ";".join(email or []),
                "uscc": uscc,
                "wechat": wechat,
                "region": region,
                "industry": industry,
                "source": source,
                "external_id": external_id,
                "reason": reason,
                "occurred_at": business_time(at, settings),
            },
            phone_region=settings.identity.default_phone_region,
        )
        viewer = settings.viewer()
        with application(settings) as app:
            result = app.register_customer_as(command, viewer)
            record = app.get_customer(result.customer_id)
        collisions = [disclose_collision(c.to_dict(), viewer) for c in result.group_collisions]
        matched = [str(cid) for cid in result.decision.matched_customer_ids]
        extra = {"possible_duplicates": matched, "group_collisions": collisions}
        print_outcome(result.outcome, f"customer {record.customer_id}", record, json_output, extra)
        if json_output:
            return
        if result.outcome == "warned":
            others = ", ".join(matched)
            console.print(f"[yellow]possible duplicate[/] of {others} ({result.decision.rule})")
        for collision in collisions:
            owners = sorted({m["owner"] or "nobody" for m in collision["members"]})
            console.print(
                f"[yellow]cross-group collision[/]: looks part of group {collision['group_id']} "
                f"(top {collision['root_id']}), worked by {', '.join(owners)}"
            )


@customer_app.command("show")
def show_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a UUID).")],
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one customer as it stands now."""
    from crmcore.disclosure import disclose_record

    with reporting_errors(json_output):
        cid = parse_customer_id(customer_id)
        settings = settings_from(db, config, actor)
        with application(settings) as app:
            record = app.get_customer(cid)
            owner = app.owner_of(cid)
        shown = disclose_record(record.to_dict(), settings.viewer(), owner)
        if json_output:
            print_json(shown)
        elif not shown["visible"]:
            console.print(f"customer {record.customer_id} exists, owned by {owner}")
        else:
            console.print(record_table(record))


@customer_app.command("list")
def list_customers(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    region: Annotated[str | None, typer.Option(help="Only customers of this region.")] = None,
    industry: Annotated[str | None, typer.Option(help="Only this industry.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source (channel).")] = None,
    registered_by: Annotated[
        str | None, typer.Option(help="Only customers this actor registered.")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """List customers, oldest first, a page at a time (from the customer_directory view,
    caught up first: the cost is the page's and the view's lag, not the book's size)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        where = DirectoryFilter(region, industry, source, registered_by)
        with caught_up_reads(settings, DIRECTORY_VIEW) as (engine, personal):
            rows = customer_page(
                engine, limit=limit, offset=offset, where=where, personal=personal
            )
            total = count_customers(engine, where)
        if json_output:
            print_json(
                {
                    "total": total,
                    "offset": offset,
                    "customers": [
                        {
                            "customer_id": str(r.customer_id),
                            "company_name": r.company_name,
                            "contact_name": r.contact_name,
                            "region": r.region,
                            "industry": r.industry,
                            "source": r.source,
                            "registered_at": r.registered_at.isoformat(),
                        }
                        for r in rows
                    ],
                }
            )
            return
        first = offset + 1 if rows else offset
        table = Table(
            "customer id",
            "company",
            "contact",
            "region",
            "industry",
            "source",
            title=f"customers {first}-{offset + len(rows)} of {total}",
        )
        for r in rows:
            table.add_row(
                str(r.customer_id),
                plain(r.company_name),
                plain(r.contact_name),
                plain(r.region),
                plain(r.industry),
                plain(r.source),
            )
        console.print(table)


@customer_app.command("erase")
def erase_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a UUID).")],
    reason: ErasureReasonOption,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Erase a customer's personal data on request (crypto-shredding): its data key and
    those of the customers merged into it and of the leads that became them are
    destroyed; the history stays, its contact
    name, phones, e-mails and WeChat id read [erased]. Needs pii.master_key. Running it
    again finishes an erasure that was interrupted."""
    from crmcore.commands import parse_command
    from crmcore.customers.erasure import EraseCustomer

    with reporting_errors(json_output):
        cid = parse_customer_id(customer_id)
        settings = settings_from(db, config, actor)
        command = parse_command(
            EraseCustomer, {"actor": settings.actor, "customer_id": cid, "reason": reason}
        )
        with application(settings) as app:
            subjects = app.erase_customer(command)
            record = app.get_customer(cid)
        print_outcome(
            "erased",
            f"customer {record.customer_id}: {len(subjects)} data key(s) destroyed",
            record,
            json_output,
            {"data_keys_destroyed": [str(s) for s in subjects]},
        )


def parse_customer_id(value: str) -> UUID:
    return parse_uuid(value, "customer_id", "a customer")


def print_outcome(
    outcome: str,
    message: str,
    record: CustomerRecord,
    json_output: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """What a command that changed one customer prints: the outcome and the customer
    (``extra`` adds fields to the JSON document; people get their own lines for them)."""
    if json_output:
        print_json({"outcome": outcome, **record.to_dict(), **(extra or {})})
    else:
        console.print(f"[green]{outcome}[/] {message}")
        console.print(record_table(record))


def record_table(record: CustomerRecord) -> Table:
    table = Table(show_header=False, box=None)
    for name, value in record.to_dict().items():
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else value)
        table.add_row(f"[bold]{name}[/]", str(shown))
    return table
