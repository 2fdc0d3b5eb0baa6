"""Options every command shares, and loading the settings they point at."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from adapters.settings import Settings, load_settings
from crmcore.clock import parse_instant
from crmcore.errors import ValidationFailed

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The event store: a SQLite file, or postgresql://user@host:port/database "
        "[env CRM_DB; default ./crm.db].",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file [env CRM_CONFIG; default ./crm.toml if any]."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document instead of tables.")
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened (ISO 8601; the business time zone if no offset); now if "
        "omitted. Entries may be back-dated within [audit] backdate_window_days, and are "
        "marked as such in audit answers.",
    ),
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the rows as CSV instead of tables.")]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a self-contained HTML page (charts, offline) here."),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is acting, recorded on each event [env CRM_ACTOR]."),
]
ErasureReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (the request's reference), recorded on the event.")
]


def settings_from(db: str | None, config: Path | None, actor: str | None = None) -> Settings:
    return load_settings(config, db=db, actor=actor)


def parse_uuid(value: str, field: str, what: str) -> UUID:
    """An id typed on the command line; ValidationFailed naming ``field`` if malformed."""
    try:
        return UUID(value.strip())
    except ValueError:
        raise ValidationFailed(field, f"{value!r} is not {what} id (UUID)") from None


def business_time(at: str | None, settings: Settings, field: str = "at") -> datetime | None:
    """An instant typed on the command line (``--at`` unless ``field`` says which; None:
    not given), read in the business time zone; ValidationFailed naming ``field``."""
    return parse_instant(at, field, settings.ownership.zone) if at else None
