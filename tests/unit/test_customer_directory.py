"""The customer directory view: kept by the runner, it agrees with the aggregates, and a
view rebuilt from the log alone, one kept after every command, and one stopped at any
event and restarted hold the same rows."""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    CrmApplication,
    CrmError,
    ManualClock,
    MergeCustomers,
    RemoveIdentityKey,
    SplitCustomer,
    parse_command,
)
from projections.customer_directory import (
    DIRECTORY_VIEW,
    DirectoryFilter,
    count_customers,
    customer_page,
    directory,
)
from projections.ownership import OWNERSHIP_VIEW
from projections.projection import Projection
from projections.runner import ProjectionRunner
from projections.tables import open_read_models, read_model_positions
from tests.conftest import directory_rows, event_count, registration

NAMES = st.sampled_from(["北京某某科技", "上海某某", "深圳华信", "广州博远"])
PHONES = st.sampled_from(["13800138000", "13900139000", "18600186000", "010-65521234"])
REGIONS = st.sampled_from(["北京", "上海", "深圳"])

operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), NAMES, PHONES),
        st.tuples(st.just("correct"), st.integers(0, 9), REGIONS),
        st.tuples(st.just("add_key"), st.integers(0, 9), PHONES),
        st.tuples(st.just("remove_key"), st.integers(0, 9), PHONES),
        st.tuples(st.just("merge"), st.integers(0, 9), st.integers(0, 9)),
        st.tuples(st.just("split"), st.integers(0, 9), st.just(0)),
    ),
    max_size=25,
)


def _apply(app: CrmApplication, ids: list[Any], op: tuple[str, Any, Any]) -> None:
    kind, target, value = op
    if kind == "register":
        ids.append(app.register_customer(registration(company_name=target, phone=value)))
        return
    if not ids:
        return
    cid = str(ids[target % len(ids)])
    if kind == "correct":
        app.correct_contact_details(parse_command(CorrectContactDetails, {
            "actor": "rep-1", "customer_id": cid, "region": value}))
    elif kind == "merge":
        app.merge_customers(parse_command(MergeCustomers, {
            "actor": "m", "survivor_id": cid, "absorbed_id": str(ids[value % len(ids)]),
            "reason": "same company"}))
    elif kind == "split":
        app.split_customer(parse_command(
            SplitCustomer, {"actor": "m", "tombstone_id": cid, "reason": "not the same"}))
    else:
        command = AddIdentityKey if kind == "add_key" else RemoveIdentityKey
        key_command = parse_command(command, {
            "actor": "rep-1", "customer_id": cid, "kind": "phone", "value": value})
        if kind == "add_key":
            app.add_identity_key(key_command)
        else:
            app.remove_identity_key(key_command)


def _new_app() -> CrmApplication:
    return CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                          clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC)))


def _table(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        query = select(directory).order_by(directory.c.customer_id)
        return [tuple(row) for row in connection.execute(query)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.lists(st.integers(1, 7), min_size=1, max_size=6))
def test_incremental_rebuilt_and_restarted_views_hold_the_same_rows_as_the_aggregates(
    ops: list[tuple[str, Any, Any]], stops: list[int]
) -> None:
    app = _new_app()
    incremental = ProjectionRunner(app, open_read_models("sqlite://"), [DIRECTORY_VIEW])
    incremental.catch_up()  # opened before the first event, as a follower would be
    ids: list[Any] = []
    for op in ops:
        with suppress(CrmError):  # refusals are part of the history being modelled
            _apply(app, ids, op)
        incremental.catch_up()

    rebuilt = ProjectionRunner(app, open_read_models("sqlite://"), [DIRECTORY_VIEW])
    rebuilt.catch_up()
    # Stopped after a few events at a time, each time by a new runner (a restart).
    engine = open_read_models("sqlite://")
    for limit in stops:
        ProjectionRunner(app, engine, [DIRECTORY_VIEW], batch_size=3).catch_up(limit=limit)
    ProjectionRunner(app, engine, [DIRECTORY_VIEW], batch_size=3).catch_up()

    assert _table(incremental.engine) == _table(rebuilt.engine) == _table(engine)
    rows = {row.customer_id: row for row in directory_rows(app, include_tombstones=True)}
    assert set(rows) == set(ids)
    for cid in ids:
        stored = app.get_customer(cid, follow_merges=False)
        row = rows[cid]
        assert (row.company_name, row.region) == (stored.company_name, stored.region)
        assert row.merged_into == stored.merged_into
        assert row.key_count == len(stored.phones)


def test_a_page_is_filtered_and_ordered_by_registration(clock: ManualClock) -> None:
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    for n, region in enumerate(["北京", "上海", "北京", "北京"]):
        app.register_customer(registration(company_name=f"公司{n}甲乙", region=region))
        clock.advance(minutes=1)
    runner = ProjectionRunner(app, open_read_models("sqlite://"), [DIRECTORY_VIEW])
    runner.catch_up()
    beijing = DirectoryFilter(region="北京")
    page = customer_page(runner.engine, limit=2, offset=1, where=beijing)
    assert [row.company_name for row in page] == ["公司2甲乙", "公司3甲乙"]
    assert count_customers(runner.engine, beijing) == 3
    assert page[0].registered_at.tzinfo is not None


def test_two_runners_racing_over_one_database_apply_each_event_once(
    store_app: CrmApplication, tmp_path: Path
) -> None:
    store_app.register_customers(
        [registration(company_name=f"竞速{n:04d}科技", phone=f"1380013{n:04d}")
         for n in range(600)]
    )
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    errors: list[BaseException] = []
    readers = [CrmApplication(store_app.env) for _ in range(2)]

    def follow(app: CrmApplication) -> None:
        try:
            ProjectionRunner(app, open_read_models(url), [DIRECTORY_VIEW], batch_size=25).catch_up()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=follow, args=(app,)) for app in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in readers:
        app.close()
    assert errors == []
    engine = open_read_models(url)
    assert count_customers(engine) == 600
    assert all(row[6] == 1 for row in _table(engine))  # key_count: nothing applied twice


def test_a_failing_handler_rolls_back_its_batch_and_leaves_the_position(
    app: CrmApplication,
) -> None:
    for n in range(5):
        app.register_customer(registration(company_name=f"公司{n}丙丁"))
    engine = open_read_models("sqlite://")
    ProjectionRunner(app, engine, [DIRECTORY_VIEW], batch_size=2).catch_up(limit=2)

    def broken(writer: Any, event: Any) -> None:
        raise RuntimeError("disk full")

    faulty = replace(DIRECTORY_VIEW, handlers={**DIRECTORY_VIEW.handlers,
                                               next(iter(DIRECTORY_VIEW.handlers)): broken})
    with pytest.raises(RuntimeError, match="disk full"):
        ProjectionRunner(app, engine, [faulty], batch_size=2).catch_up()
    assert count_customers(engine) == 2
    ProjectionRunner(app, engine, [DIRECTORY_VIEW]).catch_up()
    assert count_customers(engine) == 5


def test_a_new_layout_rebuilds_the_view_from_the_log(app: CrmApplication) -> None:
    app.register_customer(registration(company_name="甲乙科技"))
    engine = open_read_models("sqlite://")
    ProjectionRunner(app, engine, [DIRECTORY_VIEW]).catch_up()
    with engine.begin() as connection:  # rows an older handler might have written
        connection.execute(directory.update().values(company_name="stale"))
    newer: Projection = replace(DIRECTORY_VIEW, layout=DIRECTORY_VIEW.layout + 1)
    ProjectionRunner(app, engine, [newer]).catch_up()
    assert [r[1] for r in _table(engine)] == ["甲乙科技"]
    with engine.connect() as connection:
        layout = connection.execute(select(read_model_positions.c.layout).where(
            read_model_positions.c.name == DIRECTORY_VIEW.name)).scalar_one()
    assert layout == DIRECTORY_VIEW.layout + 1
    assert event_count(app) >= 1


def test_a_view_with_none_of_its_events_in_the_log_still_moves_to_the_head(
    app: CrmApplication,
) -> None:
    """Else every catch-up would scan the whole log again for events that never come."""
    for n in range(3):  # a phone each: key-index events follow each registration
        app.register_customer(registration(company_name=f"公司{n}戊己", phone=f"1380013800{n}"))
    head = app.recorder.max_notification_id()
    engine = open_read_models("sqlite://")
    for views_ in ([OWNERSHIP_VIEW], [DIRECTORY_VIEW, OWNERSHIP_VIEW]):
        runner = ProjectionRunner(app, engine, views_, batch_size=2)
        runner.catch_up()
        assert {s.position for s in runner.status()} == {head}
        assert runner.catch_up() == 0
