"""``crm config show``: every setting and rule in force, with why it has its default."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel
from rich.table import Table

from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, plain, print_json, reporting_errors
from adapters.postgres_url import redacted
from adapters.settings import Settings

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
            document["personal_data_at_rest"] = _at_rest(settings)
            print_json(document)
            return
        table = Table("setting", "value", "why", title="crmcore settings", show_lines=True)
        for name, value, description in _flatten(settings):
            shown = redacted(str(value)) if name in _URLS and value else str(value)
            table.add_row(name, plain(shown), description)
        table.add_row(
            "personal data at rest",
            _at_rest(settings),
            "Contact names, phones, e-mails, WeChat, device and session ids in the events "
            "and the views: encrypted with pii.master_key, else stored in clear "
            "(docs/operations.md).",
        )
        console.print(table)


def _at_rest(settings: Settings) -> str:
    """How personal data is stored under these settings."""
    master = settings.pii.master()
    if master is None:
        return "stored in clear: no pii.master_key"
    return f"encrypted (master key {master.key_id})"


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
