"""Shared fixtures: a manual clock and applications on the in-memory and SQLite stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from adapters.settings import Settings
from crmcore import AddRep, CrmApplication, ManualClock, RegisterCustomer, parse_command
from crmcore.identity.check import IdentityChecker
from crmcore.identity.memory_index import MemoryIndex
from projections.customer_directory import DirectoryFilter, DirectoryRow, every_customer
from projections.identity_queries import SqlCandidateSource
from projections.projection import Projection
from projections.registry import ALL_VIEWS
from projections.runner import ProjectionRunner
from projections.tables import open_read_models

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> CrmApplication:
    """An application on eventsourcing's in-memory store: the domain without I/O."""
    return CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)


def sqlite_env(path: Path) -> dict[str, str]:
    """The store settings the crm CLI uses (with the bulk-reading recorder)."""
    return Settings(db=path).eventsourcing_env()


STORES = ("sqlite", "postgres")


def store_settings_env(store: str, tmp_path: Path) -> dict[str, str]:
    """The store settings the crm CLI would use for ``store``: a SQLite file in
    ``tmp_path``, or a new database on this test process's PostgreSQL server."""
    if store == "postgres":
        from tests.postgres_server import fresh_database

        return Settings(db=fresh_database()).eventsourcing_env()
    return {**sqlite_env(tmp_path / "crm.db"), "SQLITE_LOCK_TIMEOUT": "30"}


@pytest.fixture(params=STORES)
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Each store in turn: a test taking it runs on SQLite and on PostgreSQL."""
    return store_settings_env(request.param, tmp_path)


@pytest.fixture(params=STORES)
def store_app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[CrmApplication]:
    """An application on each persistent store in turn (a SQLite file, a new PostgreSQL
    database), as the crm CLI configures them."""
    application = CrmApplication(store_settings_env(request.param, tmp_path), clock=clock)
    yield application
    application.close()


def registration(**fields: Any) -> RegisterCustomer:
    """A RegisterCustomer built through the same validation as every entry path."""
    return parse_command(RegisterCustomer, {"actor": "rep-1", **fields})


def register(app: CrmApplication, **fields: Any) -> UUID:
    return app.register_customer(registration(**fields))


def event_count(app: CrmApplication) -> int:
    """How many events the store holds (counted, not inferred from ids, which may gap)."""
    return len(app.recorder.select_notifications(start=None, limit=10**9))


def all_events(app: CrmApplication) -> list[Any]:
    """Every stored event as a domain event, in recording order."""
    notifications = app.recorder.select_notifications(start=None, limit=10**9)
    return [app.mapper.to_domain_event(n) for n in notifications]


def view_rows(engine: Engine, views: Iterable[Projection]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the views' tables, each table sorted: for comparing two copies."""
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for view in views
            for table in view.tables
        }


def views(app: CrmApplication, url: str = "sqlite://") -> ProjectionRunner:
    """Every view over ``app``'s log, in a read-model database (in memory by default)."""
    return ProjectionRunner(app, open_read_models(url), ALL_VIEWS)


def rebuilt_checkers(app: CrmApplication) -> dict[str, IdentityChecker]:
    """Identity checkers over candidate indexes built afresh from ``app``'s log: one
    folded into memory, one the persisted identity view (in an in-memory database)."""
    config = app.config.identity
    memory = MemoryIndex(config.max_block_size, config.group_brand_chars, app)
    persisted = SqlCandidateSource(
        app, open_read_models("sqlite://"), config.max_block_size, dispose=True
    )
    checkers = {
        "memory": IdentityChecker(config, memory),
        "persisted": IdentityChecker(config, persisted),
    }
    for checker in checkers.values():
        checker.catch_up()
    return checkers


def directory_rows(
    app: CrmApplication, *, include_tombstones: bool = False
) -> list[DirectoryRow]:
    """The customer directory view, caught up, every row in registration order."""
    runner = views(app)
    runner.catch_up()
    with runner.engine.connect() as connection:
        where = DirectoryFilter(include_tombstones=include_tombstones)
        return list(every_customer(connection, where))


def hire(app: CrmApplication, *rep_ids: str, **profile: Any) -> None:
    """Adds reps to the sales organisation (a customer a rep registers is theirs)."""
    for rep_id in rep_ids:
        app.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": rep_id, **profile}))
