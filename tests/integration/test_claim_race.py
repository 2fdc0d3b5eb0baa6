"""Eight processes claim the same pool customer at the same instant, round after round:
exactly one wins, every other is refused naming the winner, and each refusal is a
collision event in the store."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from adapters.claim_race import ClaimEntry, claim_race
from crmcore import CrmApplication, CrmConfig
from crmcore.domain import Collision, Ownership
from tests.conftest import all_events, hire, register

PROCESSES = 8
ROUNDS = 12


@pytest.mark.slow
def test_racing_claims_leave_exactly_one_owner_and_name_the_winner(
    store_env: dict[str, str],
) -> None:
    env = store_env
    # Quota and capacity out of the way: the race is about one customer, many claimants.
    config = CrmConfig.model_validate({"ownership": {"daily_claim_quota": 100}})
    reps = [f"rep-{n}" for n in range(1, PROCESSES + 1)]
    setup = CrmApplication(env, config=config)
    hire(setup, *reps)
    customers = [
        register(setup, actor="importer", company_name=f"第{n}号竞争测试有限公司")
        for n in range(ROUNDS)
    ]
    setup.close()

    entries = claim_race(env, config, reps, customers)

    by_round: dict[int, list[ClaimEntry]] = defaultdict(list)
    for entry in entries:
        by_round[entry.round_no].append(entry)
    app = CrmApplication(env, config=config)
    try:
        for round_no, customer_id in enumerate(customers):
            rows = by_round[round_no]
            assert Counter(e.outcome for e in rows) == {"won": 1, "refused": PROCESSES - 1}
            (winner,) = [e.rep for e in rows if e.outcome == "won"]
            refused = [e for e in rows if e.outcome == "refused"]
            assert {(e.rule, e.other_party) for e in refused} == {("protected", winner)}
            assert app.owner_of(customer_id) == winner

        # The store itself, read back independently of what the workers reported.
        events = all_events(app)
        claims = Counter(e.customer_id for e in events if isinstance(e, Ownership.Claimed))
        assert claims == dict.fromkeys(customers, 1)
        collisions = [e for e in events if isinstance(e, Collision.Recorded)]
        assert len(collisions) == ROUNDS * (PROCESSES - 1)
        for event in collisions:
            assert event.other_party == app.owner_of(event.customer_id)
            assert (event.attempted, event.rule, event.refused) == ("claim", "protected", True)
        assert any(e.lost_race for e in collisions), "some losers read before the winner saved"
        held = sum(app.get_rep(rep).open_count for rep in reps)
        assert held == ROUNDS
    finally:
        app.close()
