"""The sales reports as pages: ``crm report collisions|funnel|attribution|pool --html``.

Each page leads with the chart a manager looks at first (the monthly collision rate by
channel and by rep - the seeds' 撞单率 -, the funnel, revenue per rep, the pool's
inflow and outflow) and follows it with the numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from adapters.reports.page import page, paragraph, section, table
from adapters.reports.svg import bar_chart
from projections.funnel import FunnelRow
from projections.monthly import MonthOfCollisions, MonthOfPool


def collisions_page(months: Sequence[MonthOfCollisions], top_reps: int = 8) -> str:
    labels = [m.month for m in months]
    channels = sorted({c for m in months for c in m.by_channel})
    totals: dict[str, int] = {}
    for m in months:
        for rep, count in m.by_rep.items():
            totals[rep] = totals.get(rep, 0) + count
    reps = sorted(totals, key=lambda r: (-totals[r], r))[:top_reps]
    by_rep = {rep: [m.rep_rate(rep) for m in months] for rep in reps}
    rows = [
        [
            m.month,
            m.entries,
            len(m.contested),
            m.collisions,
            m.duplicates,
            f"{m.rate:.1%}" if m.rate is not None else None,
            ", ".join(f"{k} {v}" for k, v in sorted(m.by_resolution.items())),
        ]
        for m in months
    ]
    return page(
        "Collisions (撞单) by month",
        "collision rate = customers contested ÷ customers entered or contested that month; "
        "a channel's (rep's) rate counts the customers contested through it (by them)",
        [
            section(
                "Collision rate by source channel",
                bar_chart(
                    "Monthly collision rate by channel",
                    labels,
                    {c: [m.channel_rate(c) for m in months] for c in channels},
                    percent=True,
                ),
            ),
            section(
                "Collision rate by rep",
                bar_chart(
                    f"Monthly collision rate by rep (top {len(reps)})", labels, by_rep, percent=True
                ),
            ),
            section(
                "Months",
                table(
                    [
                        "month",
                        "entered",
                        "contested",
                        "collisions",
                        "duplicates",
                        "rate",
                        "resolutions",
                    ],
                    rows,
                ),
            ),
            section(
                "Rep ranking", table(["rep", "collisions"], [[rep, totals[rep]] for rep in reps])
            ),
        ],
    )


def funnel_page(rows: Sequence[FunnelRow], pipeline: Sequence[str], by: str) -> str:
    groups = list(dict.fromkeys(r.group for r in rows))
    reached = {g: [0.0] * len(pipeline) for g in groups}
    for r in rows:
        if r.stage in pipeline:
            reached[r.group][pipeline.index(r.stage)] = float(r.reached)
    body = [
        [
            r.group,
            r.stage,
            r.reached,
            r.converted,
            f"{r.conversion:.0%}" if r.conversion is not None else None,
            f"{r.mean_days:.1f}" if r.mean_days is not None else None,
        ]
        for r in rows
    ]
    return page(
        "Sales funnel",
        f"opportunities that reached each stage, by {by}",
        [
            section("Reached each stage", bar_chart("Opportunities per stage", pipeline, reached)),
            section(
                "Stages",
                table(["group", "stage", "reached", "went on", "conversion", "mean days"], body),
            ),
        ],
    )


def attribution_page(
    earned: dict[tuple[str, str], str], weighted: dict[str, str], weights: dict[str, float]
) -> str:
    months = sorted({month for _, month in earned})
    reps = sorted({rep for rep, _ in earned})
    series = {
        rep: [float(Decimal(earned.get((rep, month), "0"))) for month in months] for rep in reps
    }
    return page(
        "Revenue and forecast",
        "payments received, credited to the reps who owned the customer when each was "
        "received; forecast weighted by " + ", ".join(f"{k} {v:.0%}" for k, v in weights.items()),
        [
            section(
                "Revenue per rep",
                bar_chart("Revenue per rep per month", months, series)
                if months
                else paragraph("No payments yet."),
            ),
            section(
                "Revenue",
                table(
                    ["rep", "month", "revenue"],
                    [[rep, month, value] for (rep, month), value in earned.items()],
                ),
            ),
            section("Weighted forecast", table(["rep", "forecast"], sorted(weighted.items()))),
        ],
    )


def pool_page(months: Sequence[MonthOfPool], size: int) -> str:
    labels = [m.month for m in months]
    return page(
        "Public pool (公海) flows",
        f"{size} customers in the pool now; inflow = released or recycled, outflow = claimed",
        [
            section(
                "Inflow and outflow",
                bar_chart(
                    "Customers into and out of the pool",
                    labels,
                    {
                        "inflow": [float(sum(m.inflow.values())) for m in months],
                        "outflow": [float(m.outflow) for m in months],
                    },
                ),
            ),
            section(
                "Months",
                table(
                    ["month", "inflow", "why", "outflow"],
                    [
                        [
                            m.month,
                            sum(m.inflow.values()),
                            ", ".join(f"{k} {v}" for k, v in sorted(m.inflow.items())),
                            m.outflow,
                        ]
                        for m in months
                    ],
                ),
            ),
        ],
    )
