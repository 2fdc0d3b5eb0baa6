"""As a new user checks it: `crm demo`, `crm relay run`, then a consumer sees every event
as a valid CloudEvent; `crm relay status` tells the position and lag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cloudevents.core.formats.json import JSONFormat

from adapters.relay.dev_broker import Broker
from tests.e2e.test_cli import as_json, crm, stored_events
from tests.relay.history import validate

pytestmark = pytest.mark.slow


def test_the_demos_events_reach_a_plain_consumer_as_valid_cloud_events(
    tmp_path: Path, broker: Broker, topic: str
) -> None:
    env = {"CRM_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "CRM_KAFKA_TOPIC": topic}
    assert crm("demo", "--customers", "10", cwd=tmp_path).returncode == 0
    total = stored_events(tmp_path / "crm.db")
    assert as_json(crm("relay", "status", "--json", cwd=tmp_path, env=env))["lag"] == total

    sent = crm("relay", "run", "--once", "--json", cwd=tmp_path, env=env)
    tail = crm("events", "tail", "--from-beginning", "--idle-timeout", "3", "--json",
               cwd=tmp_path, env=env)

    assert as_json(sent)["sent"] == total
    assert as_json(crm("relay", "status", "--json", cwd=tmp_path, env=env))["lag"] == 0
    lines = tail.stdout.splitlines()
    assert len(lines) == total
    for line in lines:
        event = JSONFormat().read(None, line)
        validate(event)
    assert f"{total} events, 0 resends dropped" in tail.stderr
    types = {json.loads(line)["type"] for line in lines}
    assert "com.crmcore.ownership.claimed.v1" in types


def test_the_relay_without_a_broker_setting_is_refused_naming_it(tmp_path: Path) -> None:
    result = crm("relay", "run", "--once", cwd=tmp_path)

    assert result.returncode == 2
    assert "kafka_bootstrap_servers" in result.stderr


def test_the_schema_check_passes_on_the_published_folder() -> None:
    docs = Path(__file__).parents[2] / "docs"
    result = crm("events", "schemas", "--check", "--out", str(docs / "events"),
                 "--catalogue", str(docs / "events.md"), cwd=docs)
    assert result.returncode == 0, result.stderr
