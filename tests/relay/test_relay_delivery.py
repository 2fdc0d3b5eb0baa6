"""The relay against a real broker: every event arrives, valid, in order per customer;
crashes and outages cause resends, never losses."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from adapters.bootstrap import kafka_connector, open_relay
from adapters.relay.dev_broker import Broker, free_port
from adapters.relay.relay import DeliveryFailed
from adapters.settings import Settings, load_settings
from crmcore import CrmApplication, ManualClock, MergeCustomers, parse_command
from tests.conftest import register
from tests.relay.conftest import relay_settings
from tests.relay.history import busy_history, consume, stored_ids, validate

pytestmark = pytest.mark.slow


def publish_all(app: CrmApplication, settings: Settings) -> int:
    relay = open_relay(settings, app)
    report = relay.run(kafka_connector(settings), threading.Event(), poll_interval_s=0.1, once=True)
    return report.sent


def test_every_stored_event_arrives_as_a_valid_cloud_event_in_order_per_customer(
    store: tuple[Settings, CrmApplication], clock: ManualClock, broker: Broker, topic: str
) -> None:
    settings, app = store
    busy_history(app, clock)
    ids = stored_ids(app)
    settings = relay_settings(settings.db, broker, topic, batch_size=40)

    assert publish_all(app, settings) == len(ids)
    received = consume(broker.bootstrap, topic, until=len(ids))

    assert sorted(r.event.get_id() for r in received) == sorted(ids)
    for message in received:
        validate(message.event)
        assert message.raw["specversion"] == "1.0"
        assert message.event.get_type().startswith("com.crmcore.")
        assert message.key == message.event.get_extension("partitionkey")
    position_in_log = {event_id: n for n, event_id in enumerate(ids)}
    by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for message in received:
        by_key[message.key].append((message.offset, position_in_log[message.event.get_id()]))
    for key, arrivals in by_key.items():
        in_offset_order = [log_position for _, log_position in sorted(arrivals)]
        assert in_offset_order == sorted(in_offset_order), f"customer {key} out of order"
    assert len({r.partition for r in received}) > 1


def test_personal_data_leaves_masked_by_default(
    store: tuple[Settings, CrmApplication], clock: ManualClock, broker: Broker, topic: str
) -> None:
    settings, app = store
    register(app, company_name="北京某某科技有限公司", contact_name="张伟", phone="13800138000",
             email="zhang.wei@mou.cn")
    publish_all(app, relay_settings(settings.db, broker, topic))
    ids = stored_ids(app)

    received = consume(broker.bootstrap, topic, until=len(ids))

    text = "".join(r.raw.__repr__() for r in received)
    assert "13800138000" not in text
    assert "zhang.wei@" not in text
    assert "张伟" not in text
    (registered,) = [r for r in received if r.event.get_type().endswith("registered.v1")]
    assert registered.event.get_data()["phones"] == ["+86138****8000"]
    assert registered.event.get_data()["company_name"] == "北京某某科技有限公司"


def test_a_merged_customers_events_travel_under_the_survivors_key_and_say_so(
    store: tuple[Settings, CrmApplication], clock: ManualClock, broker: Broker, topic: str
) -> None:
    settings, app = store
    merges = busy_history(app, clock, customers=8)
    ids = stored_ids(app)
    publish_all(app, relay_settings(settings.db, broker, topic))

    received = consume(broker.bootstrap, topic, until=len(ids))

    about_absorbed = [
        r for r in received if r.event.get_subject() == f"customer/{merges.absorbed}"
    ]
    kinds = {r.event.get_type(): r for r in about_absorbed}
    for moved in ("com.crmcore.customer.merged_into.v1", "com.crmcore.customer.restored.v1"):
        assert kinds[moved].key == str(merges.survivor)
        assert kinds[moved].event.get_extension("mergedinto") == str(merges.survivor)
    registered = kinds["com.crmcore.customer.registered.v1"]
    assert registered.key == str(merges.absorbed)
    assert registered.event.get_extension("mergedinto") is None


def test_a_second_run_sends_only_what_was_recorded_since(
    store: tuple[Settings, CrmApplication], broker: Broker, topic: str
) -> None:
    settings, app = store
    settings = relay_settings(settings.db, broker, topic)
    register(app, company_name="第一家公司", phone="13800138001")
    first = publish_all(app, settings)
    register(app, company_name="第二家公司", phone="13800138002")

    second = publish_all(app, settings)

    assert first + second == len(stored_ids(app))
    assert open_relay(settings, app).status(topic).lag == 0


def test_the_relay_killed_between_send_and_position_commit_resends_and_loses_nothing(
    store: tuple[Settings, CrmApplication], clock: ManualClock, broker: Broker, topic: str
) -> None:
    settings, app = store
    busy_history(app, clock)
    ids = stored_ids(app)
    env = {
        **os.environ,
        "CRM_DB": str(settings.db),
        "CRM_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "CRM_KAFKA_TOPIC": topic,
        "CRM_RELAY__BATCH_SIZE": "50",
    }
    # The first position commit kills the process: the batch is acknowledged, not recorded.
    crash_on_commit = (
        "import os, signal, sys\n"
        "from adapters.relay.positions import RelayPositions\n"
        "RelayPositions.save = lambda self, p: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from adapters.cli.main import app\n"
        "app(['relay', 'run', '--once'])\n"
    )
    crashed = subprocess.run([sys.executable, "-c", crash_on_commit], env=env, timeout=120)
    assert crashed.returncode == -9
    status = open_relay(relay_settings(settings.db, broker, topic), app).status(topic)
    assert status.position is None

    resumed = subprocess.run(
        [str(Path(sys.executable).with_name("crm")), "relay", "run", "--once"],
        env=env, timeout=120, capture_output=True, text=True,
    )
    assert resumed.returncode == 0, resumed.stderr

    received = consume(broker.bootstrap, topic, until=len(ids))
    arrived = [r.event.get_id() for r in received]
    assert set(arrived) == set(ids)
    # Resent: the acknowledged but uncommitted batch, and the one in flight behind it.
    assert 50 <= len(arrived) - len(set(arrived)) <= 100


def test_a_broker_outage_mid_stream_delays_events_but_loses_none(
    store: tuple[Settings, CrmApplication], clock: ManualClock, own_broker: Broker, topic: str
) -> None:
    settings, app = store
    busy_history(app, clock, customers=10)
    before_outage = stored_ids(app)
    settings = relay_settings(settings.db, own_broker, topic, batch_size=20, delivery_timeout_s=2)
    relay_app = CrmApplication(settings.eventsourcing_env(), config=settings.rules())
    stop = threading.Event()
    failures: list[str] = []
    runner = threading.Thread(
        target=open_relay(settings, relay_app).run,
        args=(kafka_connector(settings), stop),
        kwargs={"poll_interval_s": 0.1, "on_failure": lambda f, _: failures.append(str(f))},
    )
    runner.start()
    try:
        first = consume(own_broker.bootstrap, topic, until=len(before_outage))
        assert {r.event.get_id() for r in first} == set(before_outage)

        own_broker.stop()
        for n in range(15):
            register(app, company_name=f"停机期间{n}号公司", phone=f"1390013{n:04d}")
        time.sleep(3)
        own_broker.start()

        everything = stored_ids(app)
        written_during_outage = set(everything) - set(before_outage)
        second = consume(own_broker.bootstrap, topic, until=len(written_during_outage))
        assert written_during_outage <= {r.event.get_id() for r in second}
        assert failures, "the relay never noticed the outage"
    finally:
        stop.set()
        runner.join(timeout=30)
        relay_app.close()


def test_run_once_without_a_reachable_broker_fails_and_keeps_the_position(
    store: tuple[Settings, CrmApplication], topic: str
) -> None:
    settings, app = store
    register(app, company_name="某某公司", phone="13800138009")
    nobody = Broker(port=free_port())
    settings = relay_settings(settings.db, nobody, topic, delivery_timeout_s=1)

    with pytest.raises(DeliveryFailed):
        publish_all(app, settings)

    assert open_relay(settings, app).status(topic).position is None
    assert open_relay(settings, app).status(topic).lag == len(stored_ids(app))



def test_a_stop_request_finishes_the_batches_in_flight_and_keeps_the_rest_for_later(
    store: tuple[Settings, CrmApplication], clock: ManualClock, broker: Broker, topic: str
) -> None:
    settings, app = store
    busy_history(app, clock)
    settings = relay_settings(settings.db, broker, topic, batch_size=20)
    relay = open_relay(settings, app)
    stop = threading.Event()

    report = relay.run(
        kafka_connector(settings), stop, poll_interval_s=0.1, on_batch=lambda _: stop.set()
    )

    status = relay.status(topic)
    assert 20 <= report.sent <= 40  # the batch acknowledged first, and the one behind it
    assert status.position == report.position
    assert status.lag == len(stored_ids(app)) - report.sent > 0
    assert publish_all(app, settings) == status.lag


def test_a_relay_that_keeps_running_keys_a_merge_made_between_its_passes_by_the_survivor(
    store: tuple[Settings, CrmApplication], broker: Broker, topic: str
) -> None:
    settings, app = store
    settings = relay_settings(settings.db, broker, topic)
    relay = open_relay(settings, app)
    absorbed = register(app, company_name="甲公司", phone="13800138011")
    survivor = register(app, company_name="乙公司", phone="13800138012")
    relay.run(kafka_connector(settings), threading.Event(), poll_interval_s=0.1, once=True)
    app.merge_customers(parse_command(MergeCustomers, {
        "actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "same"}))

    relay.run(kafka_connector(settings), threading.Event(), poll_interval_s=0.1, once=True)

    received = consume(broker.bootstrap, topic, until=len(stored_ids(app)))
    (tombstone,) = [r for r in received if r.event.get_type().endswith("merged_into.v1")]
    assert tombstone.key == str(survivor)
    assert tombstone.event.get_extension("mergedinto") == str(survivor)


def test_an_erased_customers_personal_data_never_reaches_the_topic_after_erasure(
    tmp_path: Path, clock: ManualClock, broker: Broker, topic: str
) -> None:
    """Even for a deployment that publishes phones as they are (``keep``): events read
    after the erasure carry ``[erased]``, and consumers are told to drop their copies."""
    from adapters.bootstrap import application
    from crmcore.customers.erasure import EraseCustomer
    from tests.integration.test_personal_data import new_key

    settings = load_settings(
        environ={},
        db=tmp_path / "crm.db",
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic=topic,
        relay={"delivery_timeout_s": 5, "pii": {"phones": "keep", "contact_name": "keep"}},
        pii={"master_key": new_key()},
    )
    with application(settings, clock) as app:
        cid = register(app, company_name="北京某某科技有限公司", contact_name="张伟",
                       phone="13800138000")
        app.erase_customer(parse_command(
            EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "R-1"}))
        sent = publish_all(app, settings)
    received = consume(broker.bootstrap, topic, until=sent)

    text = "".join(repr(r.raw) for r in received)
    assert "13800138000" not in text
    assert "张伟" not in text
    types = [r.event.get_type() for r in received]
    assert "com.crmcore.customer.erased.v1" in types
    (registered,) = [r for r in received if r.event.get_type().endswith("registered.v1")]
    assert registered.event.get_data()["phones"] == ["[erased]"]
