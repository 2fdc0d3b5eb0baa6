"""Settings: where the store lives and which rules apply, from crm.toml, CRM_* and flags.

Precedence, lowest first: defaults, ``crm.toml`` (or the file named by ``--config`` /
``CRM_CONFIG``), ``CRM_*`` environment variables (``CRM_DB``,
``CRM_IDENTITY__DEFAULT_PHONE_REGION`` - a double underscore enters a section),
then command-line flags. Every problem is a ValidationFailed naming the setting.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from adapters.pii.settings import PiiSettings
from adapters.postgres_url import PostgresUrl, postgres_url
from adapters.relay.relay_settings import KAFKA_TOPIC, RelaySettings
from adapters.store_outage import STORE_WAIT_SECONDS
from crmcore.config import CrmConfig
from crmcore.disclosure import Role, Viewer
from crmcore.errors import ValidationFailed

ENV_PREFIX = "CRM_"
CONFIG_FILE_ENV = "CRM_CONFIG"
DEFAULT_CONFIG_FILE = Path("crm.toml")
SQLITE_RECORDER_TOPIC = "adapters.persistence.sqlite_recorder:BulkReadingSQLiteApplicationRecorder"


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in containers without /etc/passwd entries
        return "cli:unknown"


class Settings(CrmConfig):
    """The rules (inherited from CrmConfig) plus what only a deployment decides."""

    db: str = Field(
        default="crm.db",
        min_length=1,
        description=(
            "The event store: a SQLite file (one office, one machine), or a PostgreSQL URL "
            "postgresql://user[:password]@host[:port]/database (several processes or hosts)."
        ),
    )
    read_model_url: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "SQLAlchemy URL of the read-model tables (the duplicate report, ...). Default: "
            "the event store's own SQLite file, so one file holds everything."
        ),
    )
    sqlite_lock_timeout: int = Field(
        default=30,
        ge=1,
        le=600,
        description=(
            "Seconds a writer waits for SQLite's write lock before failing. Generous "
            "because several processes may write one file; each commit holds it ~1 ms."
        ),
    )
    import_workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description=(
            "Processes that validate and profile an import's rows ahead of the one that "
            "decides and saves them. Unset: one fewer than the machine's cores (at most "
            "4), none below 10,000 rows; 0: the importing process does it all."
        ),
    )
    store_wait_seconds: float = Field(
        default=STORE_WAIT_SECONDS,
        ge=0,
        le=3600,
        description=(
            "Seconds an import waits for a store that went away (a database server "
            "restarting, a fail-over) before it stops with the error; it goes on where it "
            "was when the store answers again."
        ),
    )
    actor: str = Field(
        default_factory=_default_actor,
        min_length=1,
        max_length=100,
        description="Who the CLI records as the actor of each event (e.g. rep-007).",
    )

    role: Role = Field(
        default=Role.MANAGER,
        description=(
            "What the CLI user may see of customers they do not own: rep (only that they "
            "exist and who owns them), manager or auditor (everything). The identity "
            "check runs against all customers whatever the role."
        ),
    )

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Kafka brokers the relay publishes to, host:port[,host:port] "
            "[env CRM_KAFKA_BOOTSTRAP_SERVERS]. Kafka is optional: unset, nothing is sent."
        ),
    )
    kafka_topic: str = Field(
        default="crmcore.events",
        pattern=KAFKA_TOPIC,
        description="Topic every event is published to [env CRM_KAFKA_TOPIC].",
    )
    relay: RelaySettings = Field(default_factory=RelaySettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)

    def viewer(self) -> Viewer:
        return Viewer(self.actor, self.role)

    def rules(self) -> CrmConfig:
        """The business rules alone, as the application takes them."""
        return CrmConfig.model_validate(
            {name: getattr(self, name) for name in CrmConfig.model_fields}
        )

    @field_validator("db", mode="before")
    @classmethod
    def _path_or_url(cls, value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, str) and "://" in value:
            postgres_url(value)  # refused here, naming db, when it is not one
        return value

    @property
    def postgres(self) -> PostgresUrl | None:
        """The PostgreSQL store's address, or None for a SQLite file."""
        return postgres_url(self.db) if "://" in self.db else None

    @property
    def db_file(self) -> Path:
        """The SQLite file of the store (not meaningful for PostgreSQL)."""
        return Path(self.db)

    def read_models_url(self) -> str:
        """Where the read models live: the configured URL, else beside the events (the
        store's SQLite file, or its PostgreSQL database)."""
        if self.read_model_url:
            return self.read_model_url
        if self.postgres is not None:
            return self.postgres.sqlalchemy_url()
        return f"sqlite:///{self.db}"

    @property
    def read_models_beside_events(self) -> bool:
        """Whether the read models share the store's database (no ``read_model_url``
        of their own): a view may then join the store's tables, such as its data keys."""
        return not self.read_model_url

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's persistence settings for this deployment."""
        if self.postgres is not None:
            return self.postgres.eventsourcing_env()
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": self.db,
            "SQLITE_LOCK_TIMEOUT": str(self.sqlite_lock_timeout),
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
        }


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Loads settings; ``overrides`` (command-line flags) that are None are ignored."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    _merge(values, _read_config_file(config_file, env))
    _merge(values, _read_environment(env))
    _merge(values, {k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ValidationFailed(field, str(first["msg"]).removeprefix("Value error, ")) from None
    if settings.postgres is None and not settings.db_file.parent.is_dir():
        raise ValidationFailed("db", f"folder {settings.db_file.parent} does not exist")
    return settings


def _read_config_file(config_file: Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    named = config_file or (Path(env[CONFIG_FILE_ENV]) if env.get(CONFIG_FILE_ENV) else None)
    path = named or DEFAULT_CONFIG_FILE
    if not path.exists():
        if named is not None:
            raise ValidationFailed("config", f"file {path} does not exist")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed("config", f"{path} is not valid TOML: {exc}") from None


def _read_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """``CRM_A__B=v`` becomes ``{"a": {"b": "v"}}``; names that are no setting are ignored."""
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_FILE_ENV:
            continue
        path = name.removeprefix(ENV_PREFIX).lower().split("__")
        if path[0] not in known:
            continue
        _merge(values, _nest(path, value))
    return values


def _nest(path: list[str], value: str) -> dict[str, Any]:
    nested: Any = value
    for part in reversed(path):
        nested = {part: nested}
    result: dict[str, Any] = nested
    return result


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value
