"""Random interleavings of every ownership command and the clock: the invariants hold
after each step, and the state rebuilt from the events equals the live one."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from crmcore import (
    AssignCustomer,
    ClaimCustomer,
    CrmApplication,
    CrmError,
    ManualClock,
    RecordFollowUp,
    ReleaseCustomer,
    RepLeaves,
    TransferCustomer,
    parse_command,
)
from crmcore.domain import Ownership, Rep
from crmcore.sales_view import SalesView
from projections.ownership import PoolRow, due_before, ownerships, pool, pool_page
from tests.conftest import all_events, hire, register, views

REPS = ("ann", "bob", "cat", "dan")
SUPERVISOR = "sue"
CUSTOMERS = 6
QUOTA = 3
COOLDOWN = timedelta(days=7)


class OwnershipMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        self.app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=self.clock)
        hire(self.app, *REPS, team="t", capacity=4)
        hire(self.app, SUPERVISOR, team="t", supervisor=True, capacity=50)
        self.customers = [
            register(self.app, actor="importer", company_name=f"第{n}号测试贸易有限公司")
            for n in range(CUSTOMERS)
        ]
        self.views = views(self.app)  # kept incrementally, step by step

    def _run(self, command_type: type, **fields: object) -> None:
        method = {
            AssignCustomer: self.app.assign_customer,
            ClaimCustomer: self.app.claim_customer,
            ReleaseCustomer: self.app.release_customer,
            TransferCustomer: self.app.transfer_customer,
            RecordFollowUp: self.app.record_follow_up,
            RepLeaves: self.app.rep_leaves,
        }[command_type]
        # Refusals are expected; the invariants say whether they were right.
        with contextlib.suppress(CrmError):
            method(parse_command(command_type, {"actor": "someone", **fields}))  # type: ignore[operator]

    @rule(c=st.integers(0, CUSTOMERS - 1), rep=st.sampled_from((None, *REPS)))
    def assign(self, c: int, rep: str | None) -> None:
        self._run(AssignCustomer, customer_id=self.customers[c], rep=rep)

    @rule(c=st.integers(0, CUSTOMERS - 1), rep=st.sampled_from(REPS))
    def claim(self, c: int, rep: str) -> None:
        self._run(ClaimCustomer, customer_id=self.customers[c], rep=rep)

    @rule(c=st.integers(0, CUSTOMERS - 1), rep=st.sampled_from(REPS))
    def release(self, c: int, rep: str) -> None:
        self._run(ReleaseCustomer, customer_id=self.customers[c], rep=rep, reason="不合适的客户")

    @rule(c=st.integers(0, CUSTOMERS - 1), to=st.sampled_from(REPS))
    def transfer(self, c: int, to: str) -> None:
        self._run(TransferCustomer, customer_id=self.customers[c], to=to, by=SUPERVISOR)

    @rule(c=st.integers(0, CUSTOMERS - 1), rep=st.sampled_from(REPS))
    def follow_up(self, c: int, rep: str) -> None:
        self._run(
            RecordFollowUp, customer_id=self.customers[c], rep=rep, channel="visit",
            content="上门拜访，了解了采购计划", outcome="下月有预算",
            next_contact_at=self.clock.now() + timedelta(days=5),
        )

    @rule()
    def sweep(self) -> None:
        self.app.sweep()

    @rule(rep=st.sampled_from(REPS), to=st.sampled_from((None, *REPS)))
    def rep_leaves(self, rep: str, to: str | None) -> None:
        self._run(RepLeaves, rep_id=rep, handover_to=to, to_pool=to is None)

    @rule(hours=st.sampled_from((1, 5, 20, 30, 24 * 8, 24 * 31)))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def each_owner_took_the_customer_from_nobody_or_by_a_transfer(self) -> None:
        owner: dict[UUID, str | None] = {}
        for event in all_events(self.app):
            if isinstance(event, Ownership.OwnerChanged):
                before = owner.get(event.customer_id)
                assert event.previous_owner == before
                if isinstance(event, Ownership.Claimed):
                    assert before is None, "a claim never takes from an owner"
                if isinstance(event, Ownership.Assigned) and before is not None:
                    assert event.rule.startswith("sla_reassign")
                owner[event.customer_id] = event.owner
            elif isinstance(event, Ownership.OwnerRemoved):
                assert owner.get(event.customer_id) == event.previous_owner
                owner[event.customer_id] = None

    @invariant()
    def every_rep_holds_exactly_the_customers_that_name_them(self) -> None:
        held: dict[str, int] = defaultdict(int)
        for cid in self.customers:
            owner = self.app.owner_of(cid)
            if owner is not None:
                held[owner] += 1
        for rep_id in (*REPS, SUPERVISOR):
            rep = self.app.get_rep(rep_id)
            assert rep.open_count == held[rep_id]
            assert rep.open_count <= rep.profile.capacity or rep_id == SUPERVISOR
            if rep.gone:
                assert held[rep_id] == 0

    @invariant()
    def quotas_and_cooldowns_held(self) -> None:
        zone = self.app.config.ownership.zone
        claims: dict[tuple[str, str], int] = defaultdict(int)
        let_go: dict[tuple[UUID, str], datetime] = {}
        for event in all_events(self.app):
            if isinstance(event, Ownership.Claimed):
                day = event.occurred_at.astimezone(zone).date().isoformat()
                claims[event.owner, day] += 1
                assert claims[event.owner, day] <= QUOTA
                since = let_go.get((event.customer_id, event.owner))
                assert since is None or event.occurred_at >= since + COOLDOWN
            elif isinstance(event, Ownership.OwnerRemoved):
                let_go[event.customer_id, event.previous_owner] = event.occurred_at

    @invariant()
    def the_view_rebuilt_from_events_equals_the_live_one(self) -> None:
        live = self.app.sales_view()
        events = all_events(self.app)
        rebuilt = SalesView().apply_all(events)
        assert (rebuilt.reps, rebuilt.owned, rebuilt.pool) == (live.reps, live.owned, live.pool)
        assert rebuilt.last_round_robin == live.last_round_robin
        for cid in self.customers:
            owned = live.owned.get(cid)
            assert (owned.owner if owned else None) == self.app.owner_of(cid)
        reps = {e.rep_id for e in events if isinstance(e, Rep.Joined)}
        assert reps == {*REPS, SUPERVISOR}


    @invariant()
    def the_persisted_views_equal_the_live_fold_and_their_rebuild(self) -> None:
        self.views.catch_up()
        live = self.app.sales_view()
        owned = {
            UUID(r["customer_id"]): (r["owner"], r["since"], r["respond_by"],
                                     r["protected_until"], r["last_at"])
            for r in _rows(self.views.engine, ownerships)
        }
        assert owned == {
            cid: (o.owner, o.since, o.respond_by, o.protected_until, o.last_at)
            for cid, o in live.owned.items()
        }
        assert pool_page(self.views.engine, limit=CUSTOMERS) == [
            PoolRow(e.customer_id, f"第{self.customers.index(e.customer_id)}号测试贸易有限公司",
                    e.since, e.reason, e.previous_owner, e.cooldown_until)
            for e in live.pool_entries()
        ]
        now = self.clock.now()
        assert due_before(self.views.engine, now, limit=CUSTOMERS) == live.due_by(now)

    def teardown(self) -> None:
        """Once per history (it depends on nothing else): the views rebuilt from the log
        alone hold the rows the incremental ones reached step by step."""
        if not hasattr(self, "views"):
            return
        self.views.catch_up()
        rebuilt = views(self.app)
        rebuilt.catch_up()
        for table in (ownerships, pool):
            assert _rows(rebuilt.engine, table) == _rows(self.views.engine, table)


def _rows(engine: Engine, table: Table) -> list[dict[str, object]]:
    with engine.connect() as connection:
        query = select(table).order_by(table.c.customer_id)
        return [dict(row) for row in connection.execute(query).mappings()]


OwnershipMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ownership_state_machine = OwnershipMachine.TestCase
