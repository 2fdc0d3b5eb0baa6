"""``crm report funnel|attribution`` and ``crm lead pool``: the sales views as tables.

Each report catches its views up first (the cost of the lag, not of the history) and
asks them one question; ``--json`` prints the same rows as data.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.bootstrap import caught_up_reads, caught_up_views
from adapters.cli.lead_commands import lead_app
from adapters.cli.options import (
    ConfigOption,
    CsvOption,
    DbOption,
    HtmlOption,
    JsonOption,
    settings_from,
)
from adapters.cli.output import console, plain, print_json, reporting_errors, write_page
from adapters.files.safe_csv import print_csv
from crmcore.errors import ValidationFailed
from crmcore.opportunities.config import StageOutcome
from projections.attribution import ATTRIBUTION_VIEW, credit_rows, forecast, revenue
from projections.customer_directory import DIRECTORY_VIEW
from projections.funnel import FUNNEL_VIEW, GROUPS, funnel_report
from projections.leads import LEADS_VIEW, lead_pool_page, leads_by_status
from projections.sales_org import SALES_ORG_VIEW

report_app = typer.Typer(
    help="Reports: collisions, the funnel, attribution, the pool (tables, JSON, CSV, HTML).",
    no_args_is_help=True,
)


@report_app.command("funnel")
def funnel(
    by: Annotated[str, typer.Option(help=f"Group by: {', '.join(GROUPS)}.")] = "all",
    csv_output: CsvOption = False,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Opportunities that reached each stage, how many went on, mean days in the stage."""
    with reporting_errors(json_output):
        if by not in GROUPS:
            raise ValidationFailed("by", f"{by!r} is not one of {', '.join(GROUPS)}")
        settings = settings_from(db, config)
        pipeline = [
            s.name for s in settings.opportunities.stages if s.outcome is not StageOutcome.LOST
        ]
        with caught_up_views(settings, FUNNEL_VIEW, SALES_ORG_VIEW, DIRECTORY_VIEW) as engine:
            rows = funnel_report(engine, pipeline, by)
        if html is not None:
            from adapters.reports.report_pages import funnel_page

            write_page(html, funnel_page(rows, pipeline, by))
        if json_output:
            print_json({"by": by, "stages": pipeline, "rows": [r.to_dict() for r in rows]})
            return
        if csv_output:
            header = ["group", "stage", "reached", "went_on", "conversion", "mean_days_in_stage"]
            print_csv(header, ([r.to_dict()[k] for k in header] for r in rows))
            return
        table = Table(by, "stage", "reached", "went on", "conversion", "mean days", title="Funnel")
        for r in rows:
            table.add_row(
                r.group,
                r.stage,
                str(r.reached),
                "" if r.converted is None else str(r.converted),
                "" if r.conversion is None else f"{r.conversion:.0%}",
                "" if r.mean_days is None else f"{r.mean_days:.1f}",
            )
        console.print(table)


@report_app.command("attribution")
def attribution(
    limit: Annotated[int, typer.Option(min=1, help="Credit rows to list at most.")] = 50,
    csv_output: CsvOption = False,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Who is credited with each order milestone and payment, revenue per rep per month,
    and the weighted forecast (``[orders] forecast_weights``)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        weights = settings.orders.forecast_weights
        with caught_up_views(settings, ATTRIBUTION_VIEW) as engine:
            credits = credit_rows(engine, limit=limit)
            earned = revenue(engine)
            weighted = forecast(engine, weights)
        if html is not None:
            from adapters.reports.report_pages import attribution_page

            write_page(html, attribution_page(earned, weighted, weights))
        if csv_output:  # the revenue per rep per month: what a spreadsheet sums
            print_csv(
                ["rep", "month", "revenue"],
                ([rep, month, value] for (rep, month), value in earned.items()),
            )
            return
        if json_output:
            print_json(
                {
                    "credits": [c.to_dict() for c in credits],
                    "revenue": [
                        {"rep": rep, "month": month, "revenue": value}
                        for (rep, month), value in earned.items()
                    ],
                    "forecast": [{"rep": rep, "forecast": v} for rep, v in weighted.items()],
                    "weights": weights,
                }
            )
            return
        table = Table(
            "order",
            "milestone",
            "business time",
            "rep",
            "share",
            "amount",
            "credited",
            title="Credits",
        )
        for c in credits:
            table.add_row(
                str(c.order_id)[:8],
                c.milestone,
                c.occurred_at[:19],
                c.rep,
                f"{c.share:.0%}",
                c.amount,
                c.credited,
            )
        console.print(table)
        money = Table("rep", "month", "revenue", title="Revenue (payments received)")
        for (rep, month), value in earned.items():
            money.add_row(rep, month, value)
        console.print(money)
        ahead = Table("rep", "weighted forecast", title=f"Forecast (weights {weights})")
        for rep, value in weighted.items():
            ahead.add_row(rep, value)
        console.print(ahead)


@lead_app.command("pool")
def lead_pool(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """The lead pool (线索池): leads nobody works, longest waiting first."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with caught_up_reads(settings, LEADS_VIEW) as (engine, personal):
            page = lead_pool_page(engine, limit=limit, offset=offset, personal=personal)
            counts = leads_by_status(engine)
        rows: list[dict[str, Any]] = [
            {
                "lead_id": str(r.lead_id),
                "name": r.name,
                "channel": r.channel,
                "touches": r.touches,
                "score": r.score,
                "since": r.since.isoformat(),
            }
            for r in page
        ]
        if json_output:
            print_json({"by_status": counts, "leads": rows})
            return
        table = Table("lead", "name", "channel", "touches", "score", "since", title="Lead pool")
        for row in rows:
            table.add_row(
                row["lead_id"][:8],
                plain(row["name"]),
                row["channel"],
                str(row["touches"]),
                str(row["score"]),
                row["since"][:19],
            )
        console.print(table)
        console.print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no leads")
