"""``crm projections status|rebuild|run``: the persisted read models and their follower.

No command needs the follower: each one catches up the views it reads before it reads
them. ``run`` keeps every view current for readers that only query (reports, a web
front end), so their answers wait on no catch-up.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from adapters.bootstrap import application, open_views
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, err_console, print_json, progress_bar, reporting_errors
from adapters.cli.signals import stop_requested
from projections.duplicate_candidates import refresh
from projections.registry import ALL_VIEWS

projections_app = typer.Typer(
    help="Read models kept as SQL tables: status, rebuild, follow.", no_args_is_help=True
)


@projections_app.command("status")
def status(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Each view: its position in the log, how many of its events wait, its rows."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with application(settings) as app:
            statuses = open_views(settings, app).status()
        if json_output:
            print_json({"views": [s.to_dict() for s in statuses]})
            return
        table = Table("view", "position", "lag", "rows", "layout", title="Read models")
        for s in statuses:
            position = "-" if s.position is None else str(s.position)
            table.add_row(s.name, position, f"{s.lag:,}", f"{s.rows:,}", str(s.layout))
        console.print(table)


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[
        str | None,
        typer.Argument(help=f"One view ({', '.join(v.name for v in ALL_VIEWS)}); default all."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Drop the view's tables and refill them from the event log alone."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        started = time.perf_counter()
        with (
            application(settings) as app,
            progress_bar(quiet=json_output or not err_console.is_terminal) as progress,
        ):
            runner = open_views(settings, app)
            task = progress.add_task(f"rebuilding {name or 'every view'}", total=None)
            events = runner.rebuild(
                [name] if name else None, on_batch=lambda n: progress.advance(task, n)
            )
        seconds = round(time.perf_counter() - started, 3)
        if json_output:
            print_json({"rebuilt": name or "all", "events": events, "seconds": seconds})
        else:
            console.print(f"rebuilt {name or 'every view'} from {events:,} events in {seconds} s")


@projections_app.command("run")
def run(
    once: Annotated[bool, typer.Option(help="Catch up once and exit.")] = False,
    poll_interval: Annotated[
        float, typer.Option(min=0.05, help="Seconds between looks at the log.")
    ] = 1.0,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Keep every view current, following the log until Ctrl-C or SIGTERM (the batch
    being applied finishes; a restart carries on from each view's position).

    After each catch-up that read events, the duplicate report's marked customers are
    recomputed too, so readers of `duplicate_candidates` see current pairs."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        stop = stop_requested()
        with application(settings) as app:
            runner = open_views(settings, app)
            events = runner.run(
                stop,
                poll_interval,
                once=once,
                after=lambda _: refresh(app.identity, runner.engine),
            )
        if json_output:
            print_json({"events": events})
        else:
            console.print(f"applied {events:,} events")
