"""``crm report collisions|pool``: the monthly 撞单 report and the pool's flows.

Both catch their views up (the cost of the lag) and group the rows by month; tables
for people, ``--json`` and ``--csv`` for scripts and spreadsheets, ``--html`` for a page
with the charts (``adapters.reports.report_pages``).
"""

from __future__ import annotations

from rich.table import Table

from adapters.bootstrap import caught_up_views
from adapters.cli.options import (
    ConfigOption,
    CsvOption,
    DbOption,
    HtmlOption,
    JsonOption,
    settings_from,
)
from adapters.cli.output import console, print_json, reporting_errors, write_page
from adapters.cli.report_commands import report_app
from adapters.files.safe_csv import print_csv
from projections.collisions import COLLISIONS_VIEW
from projections.customer_directory import DIRECTORY_VIEW
from projections.monthly import MonthOfCollisions, collision_months, pool_months
from projections.ownership import OWNERSHIP_VIEW, pool_size
from projections.ownership_timeline import TIMELINE_VIEW


@report_app.command("collisions")
def collisions(
    csv_output: CsvOption = False,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Collisions (撞单) per month: entries, collisions, duplicates, the collision rate,
    and where they came from - by channel, by rep, by how they were resolved."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with caught_up_views(settings, COLLISIONS_VIEW, DIRECTORY_VIEW) as engine:
            months = collision_months(engine)
        if html is not None:
            from adapters.reports.report_pages import collisions_page

            write_page(html, collisions_page(months))
        if json_output:
            print_json({"months": [m.to_dict() for m in months]})
            return
        if csv_output:  # long format: one row per month and breakdown
            print_csv(
                ["month", "dimension", "value", "customers", "collisions", "base", "rate"],
                (
                    [m.month, dimension, value, customers, events, m.base, _share(customers, m)]
                    for m in months
                    for dimension, value, customers, events in _breakdown(m)
                ),
            )
            return
        table = Table(
            "month",
            "entered",
            "contested",
            "collisions",
            "rate",
            "top channels",
            "top reps",
            title="Collisions (撞单) by month",
        )
        for m in months:
            channels = sorted(m.by_channel.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
            table.add_row(
                m.month,
                str(m.entries),
                str(len(m.contested)),
                str(m.collisions),
                f"{m.rate:.1%}" if m.rate is not None else "-",
                ", ".join(f"{k} {len(v)}" for k, v in channels),
                ", ".join(f"{k} {v}" for k, v in m.by_rep.most_common(3)),
            )
        console.print(table)


def _breakdown(m: MonthOfCollisions) -> list[tuple[str, str, int | None, int | None]]:
    """(dimension, value, customers contested, collision events) rows of one month."""
    rows: list[tuple[str, str, int | None, int | None]] = [
        ("total", "all", len(m.contested), m.collisions)
    ]
    rows += [("channel", c, len(ids), None) for c, ids in sorted(m.by_channel.items())]
    rows += [("rep", r, len(m.rep_customers[r]), n) for r, n in sorted(m.by_rep.items())]
    rows += [("resolution", k, None, n) for k, n in sorted(m.by_resolution.items())]
    return rows


def _share(customers: int | None, m: MonthOfCollisions) -> float | None:
    return round(customers / m.base, 6) if customers is not None and m.base else None


@report_app.command("pool")
def pool(
    csv_output: CsvOption = False,
    html: HtmlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """The public pool (公海) per month: customers released or recycled into it (and
    why), customers claimed out of it, and how many are in it now."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with caught_up_views(settings, TIMELINE_VIEW, OWNERSHIP_VIEW) as engine:
            months = pool_months(engine)
            size = pool_size(engine)
        if html is not None:
            from adapters.reports.report_pages import pool_page

            write_page(html, pool_page(months, size))
        if json_output:
            print_json({"in_pool": size, "months": [m.to_dict() for m in months]})
            return
        if csv_output:
            print_csv(
                ["month", "inflow", "outflow"],
                ([m.month, sum(m.inflow.values()), m.outflow] for m in months),
            )
            return
        table = Table("month", "inflow", "why", "outflow (claims)", title="Pool flows")
        for m in months:
            table.add_row(
                m.month,
                str(sum(m.inflow.values())),
                ", ".join(f"{k} {v}" for k, v in sorted(m.inflow.items())),
                str(m.outflow),
            )
        console.print(table)
        console.print(f"{size} customers in the pool now")
