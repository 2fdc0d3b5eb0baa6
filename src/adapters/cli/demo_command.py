"""``crm demo``: the main job in one command, on a realistic data set.

Act one registers a Chinese B2B customer book and the re-entries reps make of it
through the real command path (parse -> validate -> batched atomic saves), races
eight processes on one phone, and shows what was created, blocked and why. Act two
(:mod:`adapters.demo_pool`) gives the book to a sales team and runs five weeks of
ownership: assignment, follow-ups, the sweeper and a claim race in the pool.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, progress_bar, reporting_errors
from adapters.dedup_scoring import RowOutcome, score
from adapters.demo_data import DemoDataset, generate
from adapters.demo_deals import ACT_DAYS, run_deals_act, show_deals_act
from adapters.demo_leads import run_leads_act, show_leads_act
from adapters.demo_pool import DAYS, run_act, show_act
from adapters.demo_race import race, typed_phone
from adapters.import_stage import staging_workers
from adapters.importing import import_rows
from adapters.settings import Settings
from crmcore import CrmApplication, ManualClock, SystemClock
from crmcore.errors import ValidationFailed

RACERS = 8


def demo(
    customers: Annotated[
        int, typer.Option(min=10, max=200_000, help="Distinct customers to generate.")
    ] = 3000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 20261123,
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the database file first.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Generate a realistic customer book with duplicates and register it."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, "demo")
        if fresh:
            if settings.postgres is not None:
                raise ValidationFailed(
                    "fresh",
                    "--fresh deletes a SQLite file; drop and create a PostgreSQL "
                    "database with your own tools",
                )
            _delete_store(settings.db_file)
        dataset = generate(customers, seed)
        # Simulated business time, ending before the real now: act two spans five weeks,
        # acts three and four a month.
        clock = ManualClock(SystemClock().now() - timedelta(days=DAYS + ACT_DAYS + 1))
        with application(settings, clock) as app:
            earlier = len(app.recorder.select_notifications(start=None, limit=1))
            if earlier and not json_output:
                console.print(
                    f"[yellow]{settings.db} already holds events: rows that match "
                    "them will be blocked too (use --fresh to start over).[/]"
                )
            report = _register(
                app,
                dataset,
                settings.actor,
                settings.identity.default_phone_region,
                settings.registration.batch_size,
                staging_workers(len(dataset.rows), settings.import_workers),
                quiet=json_output,
            )
            # A phone no earlier run raced on: the log only grows, so its last id is new.
            race_round = app.recorder.max_notification_id() or 0
            report["race"] = _race(settings, race_round)
            unowned = [
                UUID(d["customer_id"])
                for d in report["details"]
                if d["outcome"] in ("created", "warned")
            ]
            report["ownership"] = run_act(app, clock, settings, unowned)
            report["leads"] = run_leads_act(app, clock, race_round, unowned)
            converted = report["leads"]["converted"]
            if converted:
                customer = UUID(converted["customer_id"])
                report["deals"] = run_deals_act(app, clock, customer)
        report["db"] = str(settings.db)
        if json_output:
            print_json(report)
        else:
            _show(report)


def _register(
    app: CrmApplication,
    data: DemoDataset,
    actor: str,
    region: str,
    batch_size: int,
    workers: int,
    *,
    quiet: bool,
) -> dict[str, Any]:
    started = time.perf_counter()
    with progress_bar(quiet=quiet, on=console) as progress:
        task = progress.add_task("registering", total=len(data.rows))
        imported = list(
            import_rows(
                app,
                (record.fields for record in data.rows),
                actor=actor,
                phone_region=region,
                batch_size=batch_size,
                on_batch=lambda n: progress.advance(task, n),
                workers=workers,
            )
        )
    seconds = time.perf_counter() - started
    outcomes = [
        RowOutcome(record, row.outcome, row.customer_id, row.matched_customer_ids, row.rule)
        for record, row in zip(data.rows, imported, strict=True)
    ]
    names = {
        str(row.customer_id): record.fields.get("company_name") or record.fields["contact_name"]
        for record, row in zip(data.rows, imported, strict=True)
        if row.outcome in ("created", "warned")
    }
    details = [
        {
            "row": row.row,
            "variation": record.variation,
            "outcome": row.outcome,
            "typed": record.fields.get("company_name") or record.fields.get("contact_name"),
            "rule": row.rule,
            "reason": row.reason,
            "customer_id": str(row.customer_id) if row.customer_id else None,
            "matched": names.get(str(next(iter(row.matched_customer_ids), "")), ""),
            "field": row.field,
        }
        for record, row in zip(data.rows, imported, strict=True)
    ]
    return {
        "rows": len(data.rows),
        "distinct_customers": len(data.originals),
        "seconds": round(seconds, 3),
        "rows_per_second": round(len(data.rows) / seconds, 1),
        "outcomes": dict(Counter(row.outcome for row in imported)),
        "by_rule": dict(Counter(row.rule for row in imported if row.rule)),
        "invalid_by_field": dict(Counter(row.field for row in imported if row.field)),
        "planted_duplicates": sum(r.is_duplicate for r in data.rows),
        "quality": score(outcomes),
        "details": details,
    }


def _race(settings: Settings, round_no: int) -> dict[str, Any]:
    entries = race(settings, RACERS, range(round_no, round_no + 1))
    winners = [e for e in entries if e.outcome == "created"]
    return {
        "phone": typed_phone(round_no, 0),
        "processes": RACERS,
        "created": len(winners),
        "blocked": sum(e.outcome == "blocked" for e in entries),
        "entries": [
            {
                "rep": f"rep-{e.worker + 1}",
                "typed": e.typed,
                "outcome": e.outcome,
                "customer_id": e.customer_id,
            }
            for e in sorted(entries, key=lambda e: e.worker)
        ],
    }


def _delete_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _show(report: dict[str, Any]) -> None:
    outcomes, quality = report["outcomes"], report["quality"]
    console.print(
        f"\n[bold]{report['rows']:,} rows[/] ({report['distinct_customers']:,} customers, "
        f"{report['planted_duplicates']:,} re-entries of them, some new look-alike companies "
        f"and some bad rows) registered into {report['db']} in {report['seconds']:.2f} s "
        f"({report['rows_per_second']:,.0f} rows/s)\n"
    )
    summary = Table("outcome", "rows", title="What happened")
    for outcome in ("created", "blocked", "warned", "merged", "invalid"):
        summary.add_row(outcome, f"{outcomes.get(outcome, 0):,}")
    console.print(summary)
    kinds = Table("variation", "rows", "caught", "recall", title="Re-entries caught, by kind")
    for kind, counts in quality["by_variation"].items():
        if counts["true_duplicates"]:
            kinds.add_row(kind, str(counts["rows"]), str(counts["right"]), str(counts["recall"]))
    console.print(kinds)
    overall = quality["overall"]
    console.print(
        f"precision {overall['precision']}, recall {overall['recall']}, "
        f"wrong blocks {len(quality['wrong_blocks'])}\n"
    )
    _show_examples(report["details"])
    r = report["race"]
    race_table = Table(
        "rep",
        "typed",
        "outcome",
        "customer",
        title=f"{r['processes']} processes register one mobile at the same instant",
    )
    for e in r["entries"]:
        colour = "green" if e["outcome"] == "created" else "red"
        race_table.add_row(
            e["rep"], e["typed"], f"[{colour}]{e['outcome']}[/]", e["customer_id"][:8]
        )
    console.print(race_table)
    console.print(f"[bold]{r['created']} customer[/], {r['blocked']} refusals naming it.")
    show_act(report["ownership"])
    show_leads_act(report["leads"])
    if report.get("deals"):
        show_deals_act(report["deals"])


def _show_examples(details: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    table = Table("row", "typed as", "outcome", "why", "existing customer", title="For example")
    for d in details:
        if d["rule"] is None or d["variation"] in seen:
            continue
        seen.add(d["variation"])
        table.add_row(str(d["row"]), d["typed"] or "", d["outcome"], d["reason"], d["matched"])
    console.print(table)
    invalid = [d for d in details if d["outcome"] == "invalid"][:3]
    bad = Table("row", "field", "reason", title="Invalid, for example")
    for d in invalid:
        bad.add_row(str(d["row"]), d["field"], d["reason"])
    console.print(bad)
