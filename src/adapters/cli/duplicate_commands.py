"""``crm duplicates scan|report|dismiss``: suspected duplicates among existing customers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy.engine import Engine as SqlEngine

from adapters.bootstrap import application, open_views
from adapters.cli.options import (
    ActorOption,
    ConfigOption,
    DbOption,
    JsonOption,
    settings_from,
)
from adapters.cli.output import (
    console,
    err_console,
    plain,
    print_json,
    progress_bar,
    reporting_errors,
)
from adapters.duplicate_scan.scan import engine_scan
from adapters.settings import Settings
from crmcore import parse_command
from crmcore.customers.dismissal import DismissDuplicatePair
from projections.duplicate_candidates import (
    DUPLICATES_VIEW,
    Refreshed,
    read_report,
    refresh,
)
from projections.personal import PersonalSeal

duplicates_app = typer.Typer(
    help="Find, list and dismiss suspected duplicate customers.", no_args_is_help=True
)


class Action(StrEnum):
    MERGE = "merge"
    REVIEW = "review"


class Engine(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


class _Bar:
    """The scan's stages on a rich progress bar (``adapters.duplicate_scan.scan.Progress``)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 0)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, steps: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


@contextmanager
def _current(
    settings: Settings,
    *,
    full: bool,
    engine: str = "duckdb",
    progress: _Bar | None = None,
    staging: Path | None = None,
) -> Iterator[tuple[Refreshed, SqlEngine, PersonalSeal]]:
    """The view caught up and its pairs brought current - by recomputing the customers
    that changed, or (``full``, a first report, new rules) by scanning the book on
    ``engine`` - with the database to read the report from and the seal that opens
    its personal values."""
    with application(settings) as app:
        runner = open_views(settings, app, DUPLICATES_VIEW)
        try:
            runner.catch_up()  # first the marks, then the identity view they are read from
            scan = engine_scan(runner.engine, engine, progress, staging=staging)
            done = refresh(app.identity, runner.engine, full=full, scan=scan)
            yield done, runner.engine, runner.personal
        finally:
            runner.engine.dispose()


@duplicates_app.command("scan")
def scan(
    engine: Annotated[
        Engine, typer.Option("--engine", help="Where candidate pairs are generated.")
    ] = Engine.DUCKDB,
    staging: Annotated[
        Path | None,
        typer.Option(
            "--staging",
            exists=True,
            file_okay=False,
            writable=True,
            help="Spark only: the folder the book is staged in for Spark to read "
            "(a temporary folder by default; on a cluster, one every executor sees).",
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Match every customer against the others and write the duplicate-candidates report.

    Finds what the entry check could not: records entered before the rules, in warn
    mode, or racing each other. Candidate pairs are generated and screened on the
    engine; the entry check's own rules decide them. Only pairs worth a look (merge,
    review) are kept, pairs no rule fires on are counted; dismissed pairs stay out.
    `crm duplicates report` keeps the report current afterwards by recomputing only
    the customers that changed.

    `--engine spark` runs the pairing on Spark (`pip install 'crmcore[spark]'`, a Java
    runtime): local mode by default, a cluster when PySpark's own configuration names
    one (PYSPARK_SUBMIT_ARGS, spark-defaults.conf); see docs/operations.md.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        quiet = json_output or not err_console.is_terminal
        with progress_bar(quiet=quiet) as progress:
            bar = _Bar(progress)
            with _current(
                settings, full=True, engine=engine.value, progress=bar, staging=staging
            ) as (done, _, _):
                pass  # the scan is the refresh; the report is read by `report`
        outcome = done.outcome
        assert outcome is not None
        counts = {**done.by_action, "ignore": outcome.ignored, "dismissed": done.dismissed}
        stages = {name: round(seconds, 3) for name, seconds in outcome.stages.items()}
        if json_output:
            print_json(
                {
                    "engine": outcome.engine,
                    "pairs": done.pairs,
                    "by_action": counts,
                    "seconds": stages,
                }
            )
            return
        shown = ", ".join(f"{n:,} {action}" for action, n in counts.items())
        console.print(f"{done.pairs:,} pairs worth a look ({shown}); see `crm duplicates report`")
        console.print(
            "time: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items())
        )


@duplicates_app.command("report")
def report(
    action: Annotated[
        Action | None, typer.Option("--action", help="Only pairs with this suggestion.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 100,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the duplicate-candidates report, brought current first.

    Customers registered, corrected, merged or split since the last look have their
    pairs recomputed; the first report on a book (or after new rules) scans it whole.
    Each pair says what matched (the features), the rule that fired and what to do.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with _current(settings, full=False) as (_, views, personal):
            chosen = action.value if action else None
            found = read_report(views, action=chosen, personal=personal)
        if json_output:
            print_json(
                {
                    "scanned_through": found.position,
                    "rule_set_version": found.rule_set_version,
                    "pairs": [row.to_dict() for row in found.rows],
                }
            )
            return
        table = Table(
            "customer a",
            "customer b",
            "score",
            "matched",
            "rule",
            "suggest",
            title=f"{min(limit, len(found.rows))} of {len(found.rows)} suspected pairs "
            f"(rules {found.rule_set_version})",
        )
        for row in found.rows[:limit]:
            matched = ", ".join(
                name if value == 1.0 else f"{name} {value:.2f}"
                for name, value in row.features.items()
                if value > 0
            )
            table.add_row(
                plain(f"{row.name_a or ''}\n{row.customer_a}"),
                plain(f"{row.name_b or ''}\n{row.customer_b}"),
                f"{row.score:.3f}",
                matched,
                row.rule or "",
                row.suggested_action,
            )
        console.print(table)


@duplicates_app.command("dismiss")
def dismiss(
    customer_a: Annotated[str, typer.Argument(help="One customer of the pair.")],
    customer_b: Annotated[str, typer.Argument(help="The other customer.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="How you know they are two (kept on the event)."),
    ],
    actor: ActorOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Say that CUSTOMER_A and CUSTOMER_B are two customers, not duplicates.

    The report drops the pair and no later scan brings it back. Recorded as an event
    (who, when, why); a pair is dismissed once.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config, actor)
        command = parse_command(
            DismissDuplicatePair,
            {
                "actor": settings.actor,
                "customer_a": customer_a.strip(),
                "customer_b": customer_b.strip(),
                "reason": reason,
            },
        )
        with application(settings) as app:
            dismissal = app.dismiss_duplicate_pair(command)
        pair = {"customer_a": str(dismissal.customer_a), "customer_b": str(dismissal.customer_b)}
        if json_output:
            print_json({"dismissed": pair, "reason": command.reason})
            return
        console.print(f"dismissed: {pair['customer_a']} and {pair['customer_b']} are two customers")
