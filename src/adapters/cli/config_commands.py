"""``crm config show``: every setting and rule in force, with why it has its default."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel
from rich.table import Table

from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors

config_app = typer.Typer(help="Inspect settings and rules.", no_args_is_help=True)


@config_app.command("show")
def show_config(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Print the settings in force (defaults < crm.toml < CRM_* < flags)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        if json_output:
            print_json(settings.model_dump(mode="json"))
            return
        table = Table("setting", "value", "why", title="crmcore settings", show_lines=True)
        for name, value, description in _flatten(settings):
            table.add_row(name, str(value), description)
        console.print(table)


def _flatten(model: BaseModel, prefix: str = "") -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            rows += _flatten(value, f"{prefix}{name}.")
        else:
            rows.append((f"{prefix}{name}", value, field.description or ""))
    return rows
