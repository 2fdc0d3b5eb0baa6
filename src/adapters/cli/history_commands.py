"""``crm customer owners``: who owned a customer, from when to when, and why it moved.

The history an ownership dispute starts from ("whose deal was it on 3 March?"), read
from the ownership_timeline view after catching it up: its cost is the customer's
periods and the view's lag, not the book's size.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.bootstrap import application, open_views
from adapters.cli.customer_commands import customer_app, parse_customer_id
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from projections.ownership_timeline import TIMELINE_VIEW, OwnershipPeriod, timeline


@customer_app.command("owners")
def customer_owners(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a UUID).")],
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every owner the customer had, oldest first: from, to, how each ownership began
    (assigned by which rule, claimed, transferred) and how it ended."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with application(settings) as app:
            # A merged record answers for the customer it was merged into.
            customer = app.live_customer(parse_customer_id(customer_id))
            views = open_views(settings, app, TIMELINE_VIEW)
            views.catch_up()
            periods = timeline(views.engine, customer.id)
            views.engine.dispose()
        rows = [_row(period) for period in periods]
        if json_output:
            print_json({"customer_id": str(customer.id), "owners": rows})
            return
        table = Table("owner", "from", "to", "began", "rule", "ended", "why")
        for row in rows:
            table.add_row(*(str(value or "-") for value in row.values()))
        console.print(table)
        console.print(f"{len(rows)} ownerships of {customer.id}")


def _row(period: OwnershipPeriod) -> dict[str, Any]:
    return {
        "owner": period.owner,
        "from": period.started_at.isoformat(),
        "to": period.ended_at.isoformat() if period.ended_at else None,
        "began": period.began_how,
        "rule": period.rule,
        "ended": period.ended_how,
        "why": period.end_reason,
    }
