"""Eight processes register one phone in eight formats at the same instant: one customer."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from adapters.demo_race import RaceEntry, race, typed_phone
from crmcore import CrmApplication, normalise_key
from crmcore.domain import Customer

PROCESSES = 8
ROUNDS = 50


@pytest.mark.slow
def test_racing_processes_leave_exactly_one_customer_per_phone(store_env: dict[str, str]) -> None:
    env = store_env
    CrmApplication(env).close()  # create the tables before the race starts
    entries = race(env, PROCESSES, range(ROUNDS))

    by_round: dict[int, list[RaceEntry]] = defaultdict(list)
    for entry in entries:
        by_round[entry.round_no].append(entry)
    for round_no in range(ROUNDS):
        rows = by_round[round_no]
        assert len({e.typed for e in rows}) == PROCESSES, "each worker types it its own way"
        assert Counter(e.outcome for e in rows) == {"created": 1, "blocked": PROCESSES - 1}
        assert len({e.customer_id for e in rows}) == 1, "every loser names the winner"

    # The store itself, read back independently of what the workers reported.
    app = CrmApplication(env)
    try:
        registered = [
            app.mapper.to_domain_event(n)
            for n in app.recorder.select_notifications(start=None, limit=10**9)
            if n.topic.endswith("Customer.Registered")
        ]
        assert all(isinstance(e, Customer.Registered) for e in registered)
        assert len(registered) == ROUNDS
        phones = Counter(p for e in registered for p in e.phones)
        assert set(phones.values()) == {1}
        for round_no in range(ROUNDS):
            holder = app.find_customer_by_key(normalise_key("phone", typed_phone(round_no, 0)))
            assert holder is not None
            assert str(holder.customer_id) == by_round[round_no][0].customer_id
    finally:
        app.close()
