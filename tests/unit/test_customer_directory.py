"""The customer directory, folded from events alone, agrees with the aggregates."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    CrmApplication,
    CrmError,
    ManualClock,
    RemoveIdentityKey,
    parse_command,
)
from projections.customer_directory import customer_directory, fold, read_customer_events
from tests.conftest import registration

NAMES = st.sampled_from(["北京某某科技", "上海某某", "深圳华信", "广州博远"])
PHONES = st.sampled_from(["13800138000", "13900139000", "18600186000", "010-65521234"])
REGIONS = st.sampled_from(["北京", "上海", "深圳"])

operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), NAMES, PHONES),
        st.tuples(st.just("correct"), st.integers(0, 9), REGIONS),
        st.tuples(st.just("add_key"), st.integers(0, 9), PHONES),
        st.tuples(st.just("remove_key"), st.integers(0, 9), PHONES),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_the_directory_rebuilt_from_events_matches_every_customer(ops: list[tuple]) -> None:
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC)))
    ids = []
    for op, target, value in ops:
        try:
            if op == "register":
                ids.append(app.register_customer(registration(company_name=target, phone=value)))
                continue
            if not ids:
                continue
            cid = str(ids[target % len(ids)])
            if op == "correct":
                app.correct_contact_details(parse_command(CorrectContactDetails, {
                    "actor": "rep-1", "customer_id": cid, "region": value}))
            else:
                command = AddIdentityKey if op == "add_key" else RemoveIdentityKey
                key_command = parse_command(command, {
                    "actor": "rep-1", "customer_id": cid, "kind": "phone", "value": value})
                if op == "add_key":
                    app.add_identity_key(key_command)
                else:
                    app.remove_identity_key(key_command)
        except CrmError:
            pass  # refusals are part of the history being modelled

    rows = {row.customer_id: row for row in customer_directory(app)}
    assert set(rows) == set(ids)
    for cid in ids:
        record = app.get_customer(cid)
        row = rows[cid]
        assert (row.company_name, row.region) == (record.company_name, record.region)
        assert row.key_count == len(record.phones) + len(record.emails) + len(record.usccs) + len(
            record.wechats)
    assert fold(read_customer_events(app)) == fold(read_customer_events(app))
