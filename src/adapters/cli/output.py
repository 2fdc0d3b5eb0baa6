"""How the CLI speaks: rich tables for people, one JSON document for scripts.

Exit codes are a contract: 0 ok, 2 invalid input (the message names the field),
3 refused by a business rule, 4 not found, 1 anything else crmcore refused, 130
stopped by Ctrl-C or SIGTERM before its work was done (what a shell reports for Ctrl-C).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

from adapters.store_errors import store_problem
from crmcore.errors import CrmError, NotFound, RefusedByRule, ValidationFailed

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_INTERRUPTED = 130

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def plain(value: object | None) -> Text:
    """A table cell shown as it is: a name or an erased value (``[erased]``) is data,
    not rich markup, whose square brackets would be taken for a style and vanish."""
    return Text("" if value is None else str(value))


def exit_code_for(error: CrmError) -> int:
    if isinstance(error, ValidationFailed):
        return EXIT_INVALID
    if isinstance(error, RefusedByRule):
        return EXIT_REFUSED
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    return EXIT_FAILED


def progress_bar(*, quiet: bool, on: Console = err_console) -> Progress:
    """The one progress bar of long commands (import, demo, rebuild), on ``on``;
    nothing is drawn when ``quiet``."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=on,
        disable=quiet,
    )


def write_page(path: Path, html: str) -> None:
    """Writes an HTML report; says so on stderr (stdout may be carrying --json)."""
    path.write_text(html, encoding="utf-8")
    err_console.print(f"wrote {path} ({path.stat().st_size:,} bytes)", style="dim")


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def reporting_errors(json_output: bool) -> Iterator[None]:
    """Turns crmcore's errors into a message (or JSON) and the contract's exit code."""
    try:
        try:
            yield
        except Exception as raw:  # the store failing is reported like any CrmError
            problem = store_problem(raw)
            if problem is None:
                raise
            raise problem from raw
    except CrmError as error:
        code = exit_code_for(error)
        if json_output:
            print_json(error.to_dict())
        else:
            label = {EXIT_INVALID: "invalid", EXIT_REFUSED: "refused"}.get(code, "error")
            if isinstance(error, RefusedByRule):
                label = f"refused by rule {error.rule}"
            err_console.print(f"[bold red]{label}:[/] {error}")
        raise typer.Exit(code) from None
