"""A PostgreSQL store's address, from the ``--db`` / ``CRM_DB`` URL.

One URL names the database the events and the read models share; this module turns it
into eventsourcing's ``POSTGRES_*`` settings and SQLAlchemy's ``postgresql+psycopg``
URL (psycopg 3, the driver eventsourcing uses too).

>>> url = postgres_url("postgresql://crm:s3cret@db.internal:5433/sales")
>>> url.eventsourcing_env()["POSTGRES_PORT"], url.sqlalchemy_url()
('5433', 'postgresql+psycopg://crm:s3cret@db.internal:5433/sales')
>>> redacted("postgresql://crm:s3cret@db.internal:5433/sales")
'postgresql://crm:***@db.internal:5433/sales'
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from crmcore.errors import ValidationFailed

SCHEMES = ("postgresql", "postgres")
POSTGRES_RECORDER_TOPIC = (
    "adapters.persistence.postgres_recorder:SerialisedPostgresApplicationRecorder"
)


@dataclass(frozen=True)
class PostgresUrl:
    host: str
    port: int
    user: str
    password: str
    database: str

    def eventsourcing_env(self) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.database,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            # eventsourcing needs it set; empty is a valid (trust / peer) password.
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "30",
            # Seconds to wait for a pooled connection (30 by default). eventsourcing
            # tries a failed read or write ten times, so a server that is down failed a
            # command after five minutes; now after ~50 s, and a command's process never
            # waits that long for one of its own six connections.
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
        }

    def sqlalchemy_url(self) -> str:
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"postgresql+psycopg://{credentials}@{self.host}:{self.port}/{self.database}"


def redacted(value: str) -> str:
    """A URL fit to print: its password (if any) replaced by ``***``; anything that is
    not a URL (a SQLite file) as it is."""
    parts = urlsplit(value)
    if not parts.password:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def postgres_url(value: str) -> PostgresUrl:
    """The address in ``value``; ValidationFailed naming ``db`` if it is not a complete
    postgresql:// URL."""
    parts = urlsplit(value)
    if parts.scheme not in SCHEMES:
        raise ValidationFailed("db", f"{parts.scheme}:// is not supported; use postgresql://")
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or "/" in database:
        raise ValidationFailed(
            "db", "a PostgreSQL store is postgresql://user[:password]@host[:port]/database"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise ValidationFailed("db", "the port in the URL is not a number") from None
    return PostgresUrl(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        database=database,
    )
