"""``crm import leads``: a CSV of leads, each row captured through the command path."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from adapters.bootstrap import application
from adapters.cli.options import ActorOption, ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import (
    err_console,
    progress_bar,
    reporting_errors,
)
from adapters.cli.signals import stop_requested
from adapters.cli.transfer_commands import Tally, finish_import, import_app, results_file
from adapters.files.leads_csv import LEAD_RESULT_COLUMNS, open_lead_file
from adapters.lead_importing import import_lead_rows

OUTCOMES = ("created", "joined_lead", "joined_customer", "unchanged", "invalid", "error")


@import_app.command("leads")
def import_leads(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="UTF-8 CSV with a header.")],
    results: Annotated[
        Path | None, typer.Option(help="Write one result row per input row to this CSV.")
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import leads: each row captured (identity check, dedup, score, route); a re-run
    creates nothing new.

    Columns: the customer import's plus channel, source_tag, campaign, intent, device_id,
    session_id, at. A row without ``at`` is stamped with the file's modification time,
    so running the file again finds every row already captured (``unchanged``). Exit 0
    when every row was decided (invalid rows are reported), 1 when some row failed, 130
    when Ctrl-C or SIGTERM stopped it (the row being captured finishes and is reported).
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        source = open_lead_file(file)
        written_at = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
        if source.ignored_columns and not json_output:
            err_console.print(f"[yellow]ignored columns:[/] {', '.join(source.ignored_columns)}")
        started = time.perf_counter()
        stop = stop_requested()
        tally = Tally()
        with (
            application(settings) as app,
            results_file(results, LEAD_RESULT_COLUMNS) as write_result,
            progress_bar(quiet=json_output or not err_console.is_terminal) as progress,
        ):
            task = progress.add_task("importing", total=source.row_count)
            for row in import_lead_rows(
                app,
                source.rows(),
                actor=settings.actor,
                phone_region=settings.identity.default_phone_region,
                zone=settings.ownership.zone,
                written_at=written_at,
                stop=stop,
            ):
                write_result(row)
                tally.add(row)
                progress.advance(task, 1)
        finish_import(
            tally,
            source,
            file,
            results,
            time.perf_counter() - started,
            stop.is_set(),
            OUTCOMES,
            json_output,
        )
