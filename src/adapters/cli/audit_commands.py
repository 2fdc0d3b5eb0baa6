"""``crm audit owner-at|timeline|dispute``: the auditor's questions, answered by replay.

Each answer reads the customer's own events from the store (no view, no scan of the
book) as they were known at ``--as-known-at`` and prints what made it so. ``--json``
prints the same answer as data; a verdict's JSON carries the digest that proves two
settlements of one dispute gave the same verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import (
    ConfigOption,
    DbOption,
    HtmlOption,
    JsonOption,
    business_time,
    parse_uuid,
    settings_from,
)
from adapters.cli.output import console, print_json, reporting_errors, write_page

if TYPE_CHECKING:
    from adapters.settings import Settings
    from crmcore.audit.evidence import Evidence

audit_app = typer.Typer(
    help="Audit: who owned a customer when, as known when; timelines; dispute verdicts.",
    no_args_is_help=True,
)

AtOption = Annotated[
    str | None,
    typer.Option("--at", help="The business time judged (ISO 8601, local zone if no offset); now."),
]
KnownOption = Annotated[
    str | None,
    typer.Option(
        "--as-known-at",
        help="Answer from what had been recorded by then (ISO 8601); default: everything.",
    ),
]


@audit_app.command("owner-at")
def owner_at(
    customer_id: Annotated[str, typer.Argument(help="The customer's (or lead's) id.")],
    at: AtOption = None,
    as_known_at: KnownOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """The owner, collaborators and protection at --at, as known at --as-known-at, and
    the events that made it so."""
    from crmcore.audit.queries import OwnerAtQuery

    with reporting_errors(json_output):
        settings = settings_from(db, config)
        query = _query(OwnerAtQuery, settings, at, as_known_at, customer_id=customer_id)
        with application(settings) as app:
            answer = app.owner_at(query)
        if json_output:
            print_json(answer.as_dict())
            return
        for note in answer.redirects:
            console.print(f"[yellow]{customer_id} was {note}[/]: answering for it")
        who = answer.owner or "nobody"
        console.print(f"[bold]{who}[/] ({answer.status}) at {answer.at.isoformat()}")
        if answer.owner:
            protection = (
                f"protected ({answer.protection}) until {answer.protected_until}"
                if answer.protected
                else f"unprotected since {answer.protected_until}"
            )
            console.print(f"owner since {answer.owner_since} ({answer.began_how}); {protection}")
            if answer.collaborators:
                shares = ", ".join(f"{r} {s:.0%}" for r, s in sorted(answer.collaborators.items()))
                console.print(f"collaborators: {shares}")
        elif answer.pool_since:
            console.print(f"in the pool since {answer.pool_since} ({answer.pool_reason})")
        console.print(_evidence_table(answer.evidence))


@audit_app.command("timeline")
def timeline(
    customer_id: Annotated[str, typer.Argument(help="The customer's (or lead's) id.")],
    as_known_at: KnownOption = None,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every ownership period of the customer, and every event of it, as known at
    --as-known-at; --html draws the periods on a time axis."""
    from crmcore.audit.queries import OwnerAtQuery

    with reporting_errors(json_output):
        settings = settings_from(db, config)
        query = _query(OwnerAtQuery, settings, None, as_known_at, customer_id=customer_id)
        with application(settings) as app:
            answer = app.ownership_timeline(query.customer_id, query)
            now = app.clock.now()
        if html is not None:
            from adapters.reports.audit_pages import timeline_page

            write_page(html, timeline_page(answer, now))
        if json_output:
            print_json(answer.as_dict())
            return
        table = Table("owner", "from", "to", "began", "rule", "ended", "why", title="Owners")
        for period in answer.periods:
            row = period.as_dict()
            table.add_row(
                *(
                    str(row[k] or "-")
                    for k in ("owner", "from", "to", "began", "rule", "ended", "why")
                )
            )
        console.print(table)
        console.print(_evidence_table(answer.events))


@audit_app.command("dispute")
def dispute(
    customer_id: Annotated[
        str | None, typer.Argument(help="The customer's id (or give --order).")
    ] = None,
    claimant: Annotated[
        list[str] | None, typer.Option("--claimant", help="A rep who claims it; repeat.")
    ] = None,
    order: Annotated[str | None, typer.Option("--order", help="Settle an order's credit.")] = None,
    at: AtOption = None,
    as_known_at: KnownOption = None,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Whose was it? Replays the history under the rules in force at --at and names the
    winner, the rule applied, why each other claimant lost, and the evidence."""
    from crmcore.audit.queries import SettleDispute

    with reporting_errors(json_output):
        settings = settings_from(db, config)
        fields: dict[str, Any] = {"claimants": tuple(claimant or ())}
        if customer_id is not None:
            fields["customer_id"] = parse_uuid(customer_id, "customer_id", "a customer")
        if order is not None:
            fields["order_id"] = parse_uuid(order, "order", "an order")
        query = _query(SettleDispute, settings, at, as_known_at, **fields)
        with application(settings) as app:
            verdict = app.settle_dispute(query)
        if html is not None:
            from adapters.reports.audit_pages import verdict_page

            write_page(html, verdict_page(verdict))
        if json_output:
            print_json(verdict.as_dict())
            return
        console.print(f"[bold]{verdict.winner or 'nobody'}[/] by [bold]{verdict.rule}[/]")
        console.print(verdict.why)
        for rep, reason in sorted(verdict.losers.items()):
            console.print(f"  {rep}: {reason}")
        for note in verdict.notes:
            console.print(f"[yellow]note[/]: {note}")
        console.print(_evidence_table(verdict.evidence))
        console.print(f"rules {verdict.rule_set_version}; verdict {verdict.digest}")


def _query(
    kind: type[Any], settings: Settings, at: str | None, known: str | None, **fields: Any
) -> Any:
    from crmcore.commands import parse_command

    return parse_command(
        kind,
        {
            **fields,
            "at": business_time(at, settings),
            "as_known_at": business_time(known, settings, "as_known_at"),
        },
    )


def _evidence_table(evidence: tuple[Evidence, ...]) -> Table:
    table = Table("business time", "recorded", "event", "by", "facts", title="Evidence")
    for piece in evidence:
        late = " [yellow](back-dated)[/]" if piece.backdated_by else ""
        facts = ", ".join(
            f"{k}={v}" for k, v in piece.facts.items() if k != "customer_id" and v not in (None, {})
        )
        table.add_row(
            piece.occurred_at.isoformat()[:19],
            piece.recorded_at.isoformat()[:19] + late,
            f"{piece.event} v{piece.version}",
            piece.actor,
            facts,
        )
    return table
