"""``crm config show``: every setting and rule in force, with why it has its default."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel
from rich.table import Table

from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from adapters.postgres_url import redacted

config_app = typer.Typer(help="Inspect settings and rules.", no_args_is_help=True)


@config_app.command("show")
def show_config(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Print the settings in force (defaults < crm.toml < CRM_* < flags)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        if json_output:
            document = settings.model_dump(mode="json")
            for secret in _URLS:  # passwords in store URLs are not printed
                if document.get(secret):
                    document[secret] = redacted(document[secret])
            print_json(document)
            return
        table = Table("setting", "value", "why", title="crmcore settings", show_lines=True)
        for name, value, description in _flatten(settings):
            shown = redacted(str(value)) if name in _URLS and value else str(value)
            table.add_row(name, shown, description)
        console.print(table)


_URLS = ("db", "read_model_url")


def _flatten(model: BaseModel, prefix: str = "") -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            rows += _flatten(value, f"{prefix}{name}.")
        else:
            rows.append((f"{prefix}{name}", value, field.description or ""))
    return rows
