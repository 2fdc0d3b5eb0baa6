"""``--db`` as a PostgreSQL URL: what eventsourcing and SQLAlchemy are given, what a bad
URL is told, and that a password is never printed back."""

from __future__ import annotations

import pytest

from adapters.postgres_url import redacted
from adapters.settings import load_settings
from crmcore import ValidationFailed


def test_a_postgresql_url_selects_the_postgresql_store_and_puts_the_views_beside_it() -> None:
    settings = load_settings(environ={}, db="postgresql://crm:p%40ss@db.internal:5433/sales")
    env = settings.eventsourcing_env()
    assert (env["PERSISTENCE_MODULE"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
            env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DBNAME"]) == (
        "eventsourcing.postgres", "db.internal", "5433", "crm", "p@ss", "sales")
    assert settings.read_models_url() == "postgresql+psycopg://crm:p%40ss@db.internal:5433/sales"
    bare = load_settings(environ={"CRM_DB": "postgresql://127.0.0.1/crm"})
    assert (bare.eventsourcing_env()["POSTGRES_USER"], bare.eventsourcing_env()["POSTGRES_PORT"],
            bare.eventsourcing_env()["POSTGRES_PASSWORD"]) == ("postgres", "5432", "")


@pytest.mark.parametrize("url", [
    "mysql://crm@db/sales", "postgresql://db.internal", "postgresql:///sales",
    "postgresql://db.internal:port/sales",
])
def test_a_url_that_is_not_a_postgresql_store_is_refused_naming_db(url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_settings(environ={}, db=url)
    assert refused.value.field == "db"


def test_passwords_are_redacted_when_printed() -> None:
    assert redacted("postgresql://crm:s3cret@db:5432/sales") == "postgresql://crm:***@db:5432/sales"
    assert redacted("crm.db") == "crm.db"
