"""``crm import customers`` and ``crm export customers``: the customer CSV in and out."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.table import Table

from adapters.bootstrap import application, open_views
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    console,
    err_console,
    print_json,
    progress_bar,
    reporting_errors,
)
from adapters.cli.signals import stop_requested
from adapters.files.customers_csv import (
    EXPORT_COLUMNS,
    RESULT_COLUMNS,
    CustomerFile,
    export_row,
    open_customer_file,
    row_writer,
    write_rows,
)
from adapters.import_stage import staging_workers
from adapters.importing import import_rows
from crmcore.config import DedupMode
from projections.customer_directory import DIRECTORY_VIEW, every_customer

import_app = typer.Typer(help="Bring customers and leads in from files.", no_args_is_help=True)
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
    """Import customers, checking every row for duplicates; a re-run creates nothing new.

    Exit 0 when every row was decided (invalid rows included: they are reported), 1
    when some row failed (outcome ``error``, with the reason), 130 when Ctrl-C or
    SIGTERM stopped it: the batch being saved finishes and is written to the results
    file, and a re-run of the same file completes the import.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        source = open_customer_file(file)
        if source.ignored_columns and not json_output:
            err_console.print(f"[yellow]ignored columns:[/] {', '.join(source.ignored_columns)}")
        started = time.perf_counter()
        stop = stop_requested()
        tally = Tally()
        with (
            application(settings) as app,
            results_file(results) as write_result,
            progress_bar(quiet=json_output or not err_console.is_terminal) as progress,
        ):
            task = progress.add_task("importing", total=source.row_count)
            for row in import_rows(
                app,
                source.rows(),
                actor=settings.actor,
                phone_region=settings.identity.default_phone_region,
                batch_size=settings.registration.batch_size,
                mode=mode,
                on_batch=lambda n: progress.advance(task, n),
                stop=stop,
                workers=staging_workers(source.row_count, settings.import_workers),
                store_wait=settings.store_wait_seconds,
            ):
                write_result(row)
                tally.add(row)
        finish_import(
            tally,
            source,
            file,
            results,
            time.perf_counter() - started,
            stop.is_set(),
            _OUTCOMES,
            json_output,
        )


def finish_import(
    tally: Tally,
    source: CustomerFile,
    file: Path,
    results: Path | None,
    seconds: float,
    stopped: bool,
    outcomes: tuple[str, ...],
    json_output: bool,
) -> None:
    """Prints an import's summary (table or JSON) and exits as the contract says: 130
    when stopped before the last row, 1 when a row failed, else 0."""
    interrupted = stopped and tally.rows < source.row_count
    summary = {
        "file": str(file),
        "rows": tally.rows,
        "rows_in_file": source.row_count,
        "interrupted": interrupted,
        "outcomes": {k: tally.outcomes.get(k, 0) for k in outcomes},
        "by_rule": dict(tally.by_rule),
        "invalid_by_field": dict(tally.invalid_by_field),
        "errors": tally.errors,
        "ignored_columns": list(source.ignored_columns),
        "seconds": round(seconds, 3),
        "rows_per_second": round(tally.rows / seconds, 1) if seconds else None,
        "results": str(results) if results else None,
    }
    if json_output:
        print_json(summary)
    else:
        show_summary(summary, outcomes)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if tally.outcomes.get("error"):
        raise typer.Exit(EXIT_FAILED)


_OUTCOMES = ("created", "blocked", "warned", "merged", "invalid", "error")
_ERRORS_SHOWN = 20


class ResultRow(Protocol):
    """One decided input row, as an import's tally and results file read it."""

    @property
    def row(self) -> int: ...
    @property
    def outcome(self) -> str: ...
    @property
    def rule(self) -> str | None: ...
    @property
    def field(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    def as_csv_row(self) -> dict[str, str]: ...


@dataclass
class Tally:
    """What the summary counts, kept as rows stream by (a million rows are not held)."""

    rows: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    invalid_by_field: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, object]] = field(default_factory=list)

    def add(self, row: ResultRow) -> None:
        self.rows += 1
        self.outcomes[row.outcome] += 1
        if row.rule:
            self.by_rule[row.rule] += 1
        if row.field:
            self.invalid_by_field[row.field] += 1
        if row.outcome == "error" and len(self.errors) < _ERRORS_SHOWN:
            self.errors.append({"row": row.row, "reason": row.reason})


@contextmanager
def results_file(
    path: Path | None, columns: tuple[str, ...] = RESULT_COLUMNS
) -> Iterator[Callable[[ResultRow], None]]:
    """A writer of result rows, flushed row by row, so an import that is stopped or
    killed leaves a line for every row it decided; a no-op without ``--results``."""
    if path is None:
        yield lambda row: None
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_row = row_writer(handle, columns)

        def write(row: ResultRow) -> None:
            write_row(row.as_csv_row())
            handle.flush()

        yield write


def show_summary(summary: dict[str, object], outcome_names: tuple[str, ...] = _OUTCOMES) -> None:
    table = Table("outcome", "rows", title=f"Imported {summary['file']}")
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    for outcome in outcome_names:
        table.add_row(outcome, f"{outcomes[outcome]:,}")
    console.print(table)
    by_rule = summary["by_rule"]
    assert isinstance(by_rule, dict)
    if by_rule:
        console.print("rules that fired: " + ", ".join(f"{k} {v}" for k, v in by_rule.items()))
    errors = summary["errors"]
    assert isinstance(errors, list)
    for error in errors:
        err_console.print(f"[bold red]row {error['row']} failed:[/] {error['reason']}")
    console.print(f"{summary['rows']:,} rows in {summary['seconds']} s")
    if summary["interrupted"]:
        err_console.print(
            f"[yellow]stopped after {summary['rows']:,} of {summary['rows_in_file']:,} rows;[/] "
            "every saved row is reported. Run the same import again to finish it: rows "
            "already in are found as duplicates, nothing is created twice."
        )
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
            views = open_views(settings, app, DIRECTORY_VIEW)
            views.catch_up()
            with views.engine.connect() as connection:
                listed = every_customer(connection, personal=views.personal)
                customers = (app.get_customer(row.customer_id) for row in listed)
                rows = (export_row(customer) for customer in customers)
                if output is None:
                    write_rows(sys.stdout, EXPORT_COLUMNS, rows)
                else:
                    with output.open("w", encoding="utf-8", newline="") as handle:
                        count = write_rows(handle, EXPORT_COLUMNS, rows)
                    err_console.print(f"{count:,} customers written to {output}")
