"""``crm import customers`` and ``crm export customers``: the customer CSV in and out."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, err_console, print_json, reporting_errors
from adapters.files.customers_csv import (
    EXPORT_COLUMNS,
    RESULT_COLUMNS,
    export_row,
    open_customer_file,
    write_rows,
)
from adapters.importing import import_rows
from crmcore.config import DedupMode
from projections.customer_directory import customer_directory

import_app = typer.Typer(help="Bring customers in from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write customers out to files.", no_args_is_help=True)


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="UTF-8 CSV with a header.")],
    mode: Annotated[
        DedupMode | None,
        typer.Option(help="What a duplicate does [default: identity.modes.import, block]."),
    ] = None,
    results: Annotated[
        Path | None, typer.Option(help="Write one result row per input row to this CSV.")
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import customers, checking every row for duplicates; a re-run creates nothing new."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        source = open_customer_file(file)
        if source.ignored_columns and not json_output:
            err_console.print(f"[yellow]ignored columns:[/] {', '.join(source.ignored_columns)}")
        started = time.perf_counter()
        with (
            application(settings) as app,
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                disable=json_output or not err_console.is_terminal,
            ) as progress,
        ):
            task = progress.add_task("importing", total=source.row_count)
            rows = list(
                import_rows(
                    app,
                    source.rows(),
                    actor=settings.actor,
                    phone_region=settings.identity.default_phone_region,
                    batch_size=settings.registration.batch_size,
                    mode=mode,
                    on_batch=lambda n: progress.advance(task, n),
                )
            )
        seconds = time.perf_counter() - started
        if results is not None:
            with results.open("w", encoding="utf-8", newline="") as handle:
                write_rows(handle, RESULT_COLUMNS, (row.as_csv_row() for row in rows))
        outcomes = Counter(row.outcome for row in rows)
        summary = {
            "file": str(file),
            "rows": len(rows),
            "outcomes": {k: outcomes.get(k, 0) for k in _OUTCOMES},
            "by_rule": dict(Counter(row.rule for row in rows if row.rule)),
            "invalid_by_field": dict(Counter(row.field for row in rows if row.field)),
            "ignored_columns": list(source.ignored_columns),
            "seconds": round(seconds, 3),
            "rows_per_second": round(len(rows) / seconds, 1) if seconds else None,
            "results": str(results) if results else None,
        }
        if json_output:
            print_json(summary)
        else:
            _show(summary)


_OUTCOMES = ("created", "blocked", "warned", "merged", "invalid")


def _show(summary: dict[str, object]) -> None:
    table = Table("outcome", "rows", title=f"Imported {summary['file']}")
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    for outcome in _OUTCOMES:
        table.add_row(outcome, f"{outcomes[outcome]:,}")
    console.print(table)
    by_rule = summary["by_rule"]
    assert isinstance(by_rule, dict)
    if by_rule:
        console.print("rules that fired: " + ", ".join(f"{k} {v}" for k, v in by_rule.items()))
    console.print(f"{summary['rows']:,} rows in {summary['seconds']} s")
    if summary["results"]:
        console.print(f"results: {summary['results']}")


@export_app.command("customers")
def export_customers(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file to write [default: stdout].")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write every customer as import-compatible CSV (UTF-8), oldest first."""
    with reporting_errors(False):
        settings = settings_from(db, config)
        with application(settings) as app:
            customers = (app.get_customer(row.customer_id) for row in customer_directory(app))
            rows = (export_row(customer) for customer in customers)
            if output is None:
                write_rows(sys.stdout, EXPORT_COLUMNS, rows)
            else:
                with output.open("w", encoding="utf-8", newline="") as handle:
                    count = write_rows(handle, EXPORT_COLUMNS, rows)
                err_console.print(f"{count:,} customers written to {output}")
