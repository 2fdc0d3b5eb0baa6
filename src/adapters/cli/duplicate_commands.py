"""``crm duplicates scan|report``: suspected duplicates among existing customers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from adapters.bootstrap import application, open_views
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from adapters.settings import Settings
from projections.duplicate_candidates import (
    DUPLICATES_VIEW,
    Report,
    read_report,
    refresh,
)

duplicates_app = typer.Typer(
    help="Find and list suspected duplicate customers.", no_args_is_help=True
)


class Action(StrEnum):
    MERGE = "merge"
    REVIEW = "review"
    IGNORE = "ignore"


def _current_report(settings: Settings, *, full: bool, action: str | None = None) -> Report:
    """Catches the view up, brings its pairs current (``full``: by scanning the book),
    and reads it back."""
    with application(settings) as app:
        runner = open_views(settings, app, DUPLICATES_VIEW)
        try:
            runner.catch_up()  # first the marks, then the identity view they are read from
            refresh(app.identity, runner.engine, full=full)
            return read_report(runner.engine, action=action)
        finally:
            runner.engine.dispose()


@duplicates_app.command("scan")
def scan(
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Match every customer against the others and write the duplicate-candidates report.

    Finds what the entry check could not: records entered before the rules, in warn
    mode, or racing each other. Replaces the whole report; `crm duplicates report`
    keeps it current afterwards by recomputing only the customers that changed.
    """
    with reporting_errors(json_output):
        found = _current_report(settings_from(db, config), full=True)
        counts = {action.value: 0 for action in Action}
        for row in found.rows:
            counts[row.suggested_action] += 1
        if json_output:
            print_json({"pairs": len(found.rows), "by_action": counts})
        else:
            shown = ", ".join(f"{n} {action}" for action, n in counts.items())
            console.print(
                f"{len(found.rows)} suspected pairs ({shown}); see `crm duplicates report`"
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
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        found = _current_report(settings, full=False, action=action.value if action else None)
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
                f"{row.name_a or ''}\n{row.customer_a}",
                f"{row.name_b or ''}\n{row.customer_b}",
                f"{row.score:.3f}",
                matched,
                row.rule or "",
                row.suggested_action,
            )
        console.print(table)
