"""``crm lead capture|show|convert|erase``: a buyer's arrival from a channel, the lead of
record, its conversion, and its erasure on request.

Option names are the lead import's column names (the customer import's plus
``channel, source_tag, campaign, intent, device_id, session_id, at``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from adapters.bootstrap import application
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
from adapters.cli.output import console, print_json, reporting_errors

if TYPE_CHECKING:
    from crmcore.leads.records import CaptureResult, LeadRecord

lead_app = typer.Typer(
    help="Capture leads from every channel; show a lead's touches; convert or erase a lead.",
    no_args_is_help=True,
)

Text = Annotated[str | None, typer.Option()]
Texts = Annotated[list[str] | None, typer.Option(help="Repeat, or separate values with ';'.")]
CHANNELS = "web|ad|exhibition|phone|wechat|referral|import"


@lead_app.command("capture")
def capture_lead(
    channel: Annotated[str, typer.Option(help=f"Where the buyer came from: {CHANNELS}.")],
    source_tag: Texts = None,
    campaign: Text = None,
    intent: Annotated[str | None, typer.Option(help="The product line asked about.")] = None,
    device_id: Annotated[str | None, typer.Option(help="Browser fingerprint (web forms).")] = None,
    session_id: Annotated[str | None, typer.Option(help="Visit session id (web forms).")] = None,
    company_name: Text = None,
    contact_name: Text = None,
    phone: Texts = None,
    email: Texts = None,
    uscc: Text = None,
    wechat: Text = None,
    region: Text = None,
    industry: Text = None,
    external_id: Annotated[str | None, typer.Option(help="The source system's id.")] = None,
    at: AtOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Capture a lead: prints the lead of record - a new one, or the lead or customer
    it joined - with its touches, score and route."""
    from crmcore.commands import parse_command
    from crmcore.leads.commands import CaptureLead

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            CaptureLead,
            {
                "actor": settings.actor,
                "channel": channel,
                "source_tag": ";".join(source_tag or []),
                "campaign": campaign,
                "intent": intent,
                "device_id": device_id,
                "session_id": session_id,
                "company_name": company_name,
                "contact_name": contact_name,
                "phone": ";".join(phone or []),
                "email": ";".join(email or []),
                "uscc": uscc,
                "wechat": wechat,
                "region": region,
                "industry": industry,
                "external_id": external_id,
                "occurred_at": business_time(at, settings),
            },
            phone_region=settings.identity.default_phone_region,
        )
        with application(settings) as app:
            result = app.capture_lead(command)
        print_capture(result, json_output)


@lead_app.command("convert")
def convert_lead(
    lead_id: Annotated[str, typer.Argument(help="The lead's id (a UUID).")],
    reason: Annotated[str | None, typer.Option(help="Why, recorded on the events.")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Turn a lead into a customer: the identity check runs again (exit 3 naming the
    customer if it blocks); the lead's owner and protection pass to the customer."""
    from crmcore.leads.commands import ConvertLead

    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = ConvertLead(
            actor=settings.actor, lead_id=parse_uuid(lead_id, "lead_id", "a lead"), reason=reason
        )
        with application(settings) as app:
            result = app.convert_lead(command)
        if json_output:
            print_json(result.to_dict())
            return
        console.print(
            f"[green]{result.outcome}[/]: lead {result.lead_id} is customer {result.customer_id}"
            f", owned by {result.owner or 'nobody'}"
        )


@lead_app.command("erase")
def erase_lead(
    lead_id: Annotated[str, typer.Argument(help="The lead's id (a UUID).")],
    reason: ErasureReasonOption,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Erase a lead's personal data on request (crypto-shredding): its data key and those
    of the leads merged into it are destroyed and its keys released, so the buyer
    arriving again starts a new lead; the history stays, its contact, phones, e-mails,
    WeChat, device and session ids read [erased]. A lead that became a customer is
    erased with the customer (crm customer erase). Needs pii.master_key."""
    from crmcore.commands import parse_command
    from crmcore.leads.erasure import EraseLead

    with reporting_errors(json_output):
        lid = parse_uuid(lead_id, "lead_id", "a lead")
        settings = settings_from(db, config, actor)
        command = parse_command(
            EraseLead, {"actor": settings.actor, "lead_id": lid, "reason": reason}
        )
        with application(settings) as app:
            subjects = app.erase_lead(command)
            record = app.get_lead(lid)
        if json_output:
            destroyed = [str(s) for s in subjects]
            print_json({"outcome": "erased", **record.to_dict(), "data_keys_destroyed": destroyed})
            return
        console.print(
            f"[green]erased[/]: lead {record.lead_id}: {len(subjects)} data key(s) destroyed"
        )


@lead_app.command("show")
def show_lead(
    lead_id: Annotated[str, typer.Argument(help="The lead's id (a UUID).")],
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a lead with every touch (channel, tags, campaign, intent, time) and its score."""
    with reporting_errors(json_output):
        lid = parse_uuid(lead_id, "lead_id", "a lead")
        settings = settings_from(db, config, actor)
        with application(settings) as app:
            record = app.get_lead(lid)
        if json_output:
            print_json(record.to_dict())
            return
        print_lead(record)


def print_capture(result: CaptureResult, json_output: bool) -> None:
    if json_output:
        print_json(result.to_dict())
        return
    if result.lead_id is not None:
        subject = f"lead {result.lead_id}"
    else:
        subject = f"customer {result.customer_id}"
    console.print(f"{result.outcome}: {subject} ({result.touches} touches)")
    if result.score is not None:
        console.print(
            f"score {result.score}: "
            + ", ".join(f"{t['term']} +{t['points']}" for t in result.terms)
        )
    where = {"assign": "assigned to", "owner": "routed to its owner", "pool": "left in the pool"}
    console.print(f"{where[result.route]} {result.owner or ''}".rstrip())


def print_lead(record: LeadRecord) -> None:
    name = record.company_name or record.contact_name or "(no name)"
    console.print(f"lead {record.lead_id}: {name}")
    console.print(f"keys: {', '.join(record.keys) or '-'}")
    console.print(f"score {record.score}, route {record.route}, owner {record.owner or '-'}")
    if record.converted_to is not None:
        console.print(f"converted: customer {record.converted_to}")
    if record.erased_at is not None:
        console.print(f"erased on request at {record.erased_at.isoformat(timespec='seconds')}")
    table = Table("at", "channel", "tags", "campaign", "intent", "by")
    for touch in record.touches:
        table.add_row(
            touch.at.isoformat(timespec="seconds"),
            touch.channel,
            ", ".join(touch.source_tags),
            touch.campaign or "",
            touch.intent or "",
            touch.actor,
        )
    console.print(table)
    for term in record.terms:
        console.print(f"  {term['term']:<13} +{term['points']:<4} {term['why']}")
