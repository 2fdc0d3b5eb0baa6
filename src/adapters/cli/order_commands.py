"""``crm order sign|deliver|accept|invoice|show`` and ``crm payment record``.

Every milestone takes ``--at`` (its business time, default now): it decides who is
credited - the reps who owned the customer then - however late it is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import (
    ActorOption,
    AtOption,
    ConfigOption,
    DbOption,
    JsonOption,
    business_time,
    parse_uuid,
    settings_from,
)
from adapters.cli.output import console, print_json, reporting_errors

if TYPE_CHECKING:
    from adapters.settings import Settings
    from crmcore.orders.records import OrderRecord

order_app = typer.Typer(
    help="Orders: sign, deliver, accept, invoice; each credited at its business time.",
    no_args_is_help=True,
)
payment_app = typer.Typer(help="Payments (回款) against orders.", no_args_is_help=True)

OrderArg = Annotated[str, typer.Argument(help="The order's id (a UUID).")]
AmountOption = Annotated[str, typer.Option(help="Amount, e.g. 300000 or 1,200,000.00.")]


@order_app.command("sign")
def sign_order(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a UUID).")],
    amount: AmountOption,
    opportunity: Annotated[str | None, typer.Option(help="The opportunity it closes.")] = None,
    order_no: Annotated[str | None, typer.Option(help="Your contract number.")] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "CNY",
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record a signed contract, credited to the customer's owner and collaborators."""
    from crmcore.orders.commands import SignOrder

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        data: dict[str, Any] = {
            "customer_id": parse_uuid(customer_id, "customer_id", "a customer"),
            "amount": amount,
            "currency": currency,
            "order_no": order_no,
        }
        if opportunity:
            data["opportunity_id"] = parse_uuid(opportunity, "opportunity", "an opportunity")
        command = _parse(SignOrder, settings, data, at)
        with application(settings) as app:
            record = app.sign_order(command)
        _print(record, json_output, "signed")


@order_app.command("deliver")
def deliver(
    order_id: OrderArg,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record the order's delivery."""
    _record("RecordDelivery", order_id, {}, at, actor, db, config, json_output)


@order_app.command("accept")
def accept(
    order_id: OrderArg,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record the customer's acceptance of the delivery (验收)."""
    _record("RecordAcceptance", order_id, {}, at, actor, db, config, json_output)


@order_app.command("invoice")
def invoice(
    order_id: OrderArg,
    amount: AmountOption,
    invoice_no: Annotated[str | None, typer.Option(help="The invoice number.")] = None,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record an invoice for part or all of the order (never more than is uninvoiced)."""
    data = {"amount": amount, "invoice_no": invoice_no}
    _record("RecordInvoice", order_id, data, at, actor, db, config, json_output)


@payment_app.command("record")
def record_payment(
    order_id: OrderArg,
    amount: AmountOption,
    payment_no: Annotated[str | None, typer.Option(help="The payment's reference.")] = None,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record a payment (回款) against an order, credited to the reps who owned the
    customer at --at (however late it is recorded); never more than is outstanding."""
    data = {"amount": amount, "payment_no": payment_no}
    _record("RecordPayment", order_id, data, at, actor, db, config, json_output)


def _record(
    kind: str,
    order_id: str,
    data: dict[str, Any],
    at: str | None,
    actor: str | None,
    db: str | None,
    config: Path | None,
    json_output: bool,
) -> None:
    from crmcore.orders import commands

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        fields = {"order_id": parse_uuid(order_id, "order_id", "an order"), **data}
        command = _parse(getattr(commands, kind), settings, fields, at)
        with application(settings) as app:
            record = app.record_milestone(command)
        _print(record, json_output, record.milestones[-1].milestone)


@order_app.command("show")
def show_order(
    order_id: OrderArg,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show an order and each milestone with the reps it was credited to."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        oid = parse_uuid(order_id, "order_id", "an order")
        with application(settings) as app:
            record = app.get_order(oid)
        _print(record, json_output, None)


def _parse(kind: type[Any], settings: Settings, data: dict[str, Any], at: str | None) -> Any:
    from crmcore.commands import parse_command

    occurred = business_time(at, settings)
    return parse_command(kind, {"actor": settings.actor, "occurred_at": occurred, **data})


def _print(record: OrderRecord, json_output: bool, verb: str | None) -> None:
    if json_output:
        print_json(record.to_dict())
        return
    if verb:
        console.print(f"[green]{verb}[/]: order {record.order_id}")
    console.print(
        f"customer {record.customer_id}: {record.amount} {record.currency}, invoiced "
        f"{record.invoiced}, paid {record.paid}"
    )
    table = Table("milestone", "business time", "recorded", "amount", "credited")
    for m in record.milestones:
        credited = ", ".join(f"{c['rep']} {c['share']:.0%}" for c in m.credits) or "nobody"
        table.add_row(m.milestone, m.occurred_at[:19], m.recorded_at[:19], m.amount or "", credited)
    console.print(table)
