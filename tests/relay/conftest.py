"""Fixtures of the Kafka tests: a broker per worker, a topic per test, a relay per store."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import open_relay
from adapters.relay.dev_broker import Broker
from adapters.relay.relay import Relay
from adapters.settings import Settings, load_settings
from crmcore import CrmApplication, ManualClock

_topics = itertools.count()


def running_broker() -> Iterator[Broker]:
    broker = Broker()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """One broker for the session's tests that do not stop it (each uses its own topic)."""
    yield from running_broker()


@pytest.fixture
def own_broker() -> Iterator[Broker]:
    """A broker of the test's own, which the test may stop and restart."""
    yield from running_broker()


@pytest.fixture
def topic() -> str:
    return f"crm-test-{os.getpid()}-{next(_topics)}"


def relay_settings(db: Path, broker: Broker, topic: str, **relay: object) -> Settings:
    return load_settings(
        environ={},
        db=db,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic=topic,
        relay={"delivery_timeout_s": 5, "linger_ms": 5, **relay},
    )


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[Settings, CrmApplication]]:
    """An application on a SQLite file, with settings pointing at it."""
    settings = load_settings(environ={}, db=tmp_path / "crm.db")
    app = CrmApplication(settings.eventsourcing_env(), clock=clock, config=settings.rules())
    yield settings, app
    app.close()


def relay_of(app: CrmApplication, settings: Settings) -> Relay:
    return open_relay(settings, app)
