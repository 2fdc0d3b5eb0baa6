"""``crm duplicates scan|report``: suspected duplicates among existing customers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from adapters.bootstrap import application
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from crmcore.identity.duplicate_scan import scan_duplicates
from projections.duplicate_report import read_report, write_report
from projections.tables import open_read_models

duplicates_app = typer.Typer(
    help="Find and list suspected duplicate customers.", no_args_is_help=True
)


class Action(StrEnum):
    MERGE = "merge"
    REVIEW = "review"
    IGNORE = "ignore"


@duplicates_app.command("scan")
def scan(
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Match every customer against the others and write the duplicate-candidates report.

    Finds what the entry check could not: records entered before the rules, in warn
    mode, or racing each other. Replaces the previous report.
    """
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with application(settings) as app:
            checker = app.identity
            pairs = scan_duplicates(checker)
            ids = {cid for pair in pairs for cid in (pair.customer_a, pair.customer_b)}
            names = {str(cid): checker.display_name(cid) for cid in ids}
            engine = open_read_models(settings.read_models_url())
            write_report(
                engine,
                pairs,
                names,
                position=checker.position,
                rule_set_version=checker.config.rule_set_version,
            )
            engine.dispose()
        counts = {action.value: 0 for action in Action}
        for pair in pairs:
            counts[pair.suggested_action] += 1
        if json_output:
            print_json({"pairs": len(pairs), "by_action": counts})
        else:
            shown = ", ".join(f"{n} {action}" for action, n in counts.items())
            console.print(f"{len(pairs)} suspected pairs ({shown}); see `crm duplicates report`")


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
    """Print the duplicate-candidates report written by the last `crm duplicates scan`."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        engine = open_read_models(settings.read_models_url())
        try:
            found = read_report(engine, action=action.value if action else None)
        finally:
            engine.dispose()
        if json_output:
            print_json(
                {
                    "scanned_through": found.position,
                    "rule_set_version": found.rule_set_version,
                    "pairs": [row.to_dict() for row in found.rows],
                }
            )
            return
        if found.rule_set_version is None:
            console.print("no scan yet: run `crm duplicates scan`")
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
