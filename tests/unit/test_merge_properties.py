"""Properties of merging and splitting: keys stay with exactly one live customer."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import (
    AddIdentityKey,
    CrmApplication,
    CrmError,
    ManualClock,
    MergeCustomers,
    SplitCustomer,
    normalise_key,
    parse_command,
)
from tests.conftest import directory_rows, event_count, registration

PHONES = [f"1380000{n:04d}" for n in range(8)]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("merge"), st.integers(0, 4), st.integers(0, 4)),
        st.tuples(st.just("split"), st.integers(0, 4), st.just(0)),
        st.tuples(st.just("add"), st.integers(0, 4), st.integers(0, len(PHONES) - 1)),
    ),
    max_size=12,
)


def _apply(app: CrmApplication, ids: list[UUID], op: tuple[str, int, int]) -> None:
    kind, a, b = op
    if kind == "merge":
        app.merge_customers(parse_command(MergeCustomers, {
            "actor": "m", "survivor_id": ids[a], "absorbed_id": ids[b], "reason": "r"}))
    elif kind == "split":
        app.split_customer(parse_command(
            SplitCustomer, {"actor": "m", "tombstone_id": ids[a], "reason": "r"}))
    else:
        app.add_identity_key(parse_command(AddIdentityKey, {
            "actor": "m", "customer_id": ids[a], "kind": "phone", "value": PHONES[b]}))


def _check_invariants(app: CrmApplication, ids: list[UUID]) -> None:
    held: dict[str, UUID] = {}
    for cid in ids:
        stored = app.get_customer(cid, follow_merges=False)
        if stored.merged_into is not None:
            assert stored.phones == ()  # a tombstone holds nothing
            assert app.get_customer(cid).merged_into is None  # and resolves to a live one
        for phone in stored.phones:
            assert phone not in held, f"{phone} held by {held[phone]} and {cid}"
            held[phone] = cid
    for phone in PHONES:  # the key indexes say the same as the customers
        found = app.find_customer_by_key(normalise_key("phone", phone))
        holder = held.get(normalise_key("phone", phone).value)
        assert (found.customer_id if found else None) == holder
    rows = {r.customer_id: r for r in directory_rows(app, include_tombstones=True)}
    for cid in ids:  # the read model folded from events agrees with the aggregates
        stored = app.get_customer(cid, follow_merges=False)
        assert rows[cid].merged_into == stored.merged_into
        assert rows[cid].key_count == len(stored.phones)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_every_key_belongs_to_exactly_one_live_customer_whatever_is_merged_and_split(
    ops: list[tuple[str, int, int]],
) -> None:
    app = CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC)),
    )
    ids = [
        app.register_customer(registration(company_name=f"公司{name}", phone=PHONES[n]))
        for n, name in enumerate("甲乙丙丁戊")
    ]
    for op in ops:
        before = event_count(app)
        try:
            _apply(app, ids, op)
        except CrmError:
            assert event_count(app) == before  # a refusal changes nothing
        _check_invariants(app, ids)
