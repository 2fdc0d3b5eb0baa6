"""Random interleavings of every ownership command and the clock: the invariants hold
after each step, and the state rebuilt from the events equals the live one."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
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
    NoteOpportunity,
    RecordFollowUp,
    ReleaseCustomer,
    RepLeaves,
    TransferCustomer,
    parse_command,
)
from crmcore.domain import Collision, Ownership, Rep
from crmcore.ownership.queries import FoldedSales, SalesQueries
from projections.collisions import collisions, collisions_page
from projections.ownership import (
    PoolRow,
    due_before,
    opportunities,
    ownerships,
    pool,
    pool_page,
)
from projections.ownership_timeline import periods, timeline
from projections.sales_org import claims, claims_per_day, reps, rota
from projections.sales_queries import SqlSalesQueries
from projections.tables import open_read_models
from tests.conftest import all_events, hire, register, views

REPS = ("ann", "bob", "cat", "dan")
SUPERVISOR = "sue"
CUSTOMERS = 6
QUOTA = 3
COOLDOWN = timedelta(days=7)


class OwnershipMachine(RuleBasedStateMachine):
    """Commands decide on what the sales queries answer; here the in-memory fold."""

    sales: Callable[[CrmApplication], SalesQueries] | None = None

    @initialize(drawn=st.lists(st.uuids(version=4), min_size=16, max_size=16, unique=True))
    def start(self, drawn: list[UUID]) -> None:
        self.clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        # The customers' ids come from hypothesis, so ties broken by id (a rep's book, the
        # sweep order) vary between histories and replay the same way when it shrinks.
        serial = itertools.count(1)
        ids = iter(drawn)
        self.app = CrmApplication(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"},
            clock=self.clock,
            sales=self.sales,
            new_id=lambda: next(ids, None) or UUID(int=next(serial), version=4),
        )
        hire(self.app, *REPS, team="t", capacity=4)
        hire(self.app, SUPERVISOR, team="t", supervisor=True, capacity=50)
        self.customers = [
            register(self.app, actor="importer", company_name=f"第{n}号测试贸易有限公司")
            for n in range(CUSTOMERS)
        ]
        self.views = views(self.app)  # kept incrementally, step by step
        # The persisted answers, kept incrementally too (whichever the app decides on).
        self.persisted = SqlSalesQueries(self.app, self.views.engine, dispose=False)

    def _run(self, command_type: type, **fields: object) -> None:
        method = {
            AssignCustomer: self.app.assign_customer,
            ClaimCustomer: self.app.claim_customer,
            ReleaseCustomer: self.app.release_customer,
            TransferCustomer: self.app.transfer_customer,
            RecordFollowUp: self.app.record_follow_up,
            RepLeaves: self.app.rep_leaves,
            NoteOpportunity: self.app.note_opportunity,
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

    @rule(
        c=st.integers(0, CUSTOMERS - 1),
        rep=st.sampled_from(REPS),
        deal=st.integers(0, 2),
        status=st.sampled_from(("open", "open", "won", "lost")),
    )
    def note_opportunity(self, c: int, rep: str, deal: int, status: str) -> None:
        self._run(
            NoteOpportunity, customer_id=self.customers[c], rep=rep,
            opportunity_id=f"deal-{c}-{deal}", status=status,
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
    def every_answer_equals_a_fold_of_the_log_afresh(self) -> None:
        """What commands decided on (live), the persisted views and a fold of the whole
        log made now give the same answers to every question, in the same order."""
        now = self.clock.now()
        live = _answers(self.app.sales_view(), now)
        fresh = FoldedSales(self.app)
        assert _answers(fresh, now) == live
        assert _answers(self.persisted, now) == live
        owners = {cid: rep for rep, book in live["customers_of"].items() for cid in book}
        for cid in self.customers:
            assert owners.get(cid) == self.app.owner_of(cid)
        reps = {e.rep_id for e in all_events(self.app) if isinstance(e, Rep.Joined)}
        assert reps == {*REPS, SUPERVISOR}

    @invariant()
    def the_persisted_views_equal_the_live_fold_and_their_rebuild(self) -> None:
        self.views.catch_up()
        live = FoldedSales(self.app)
        live.catch_up()
        owned = {
            UUID(r["customer_id"]): (r["owner"], r["since"], r["respond_by"],
                                     r["protected_until"], r["last_at"])
            for r in _rows(self.views.engine, ownerships)
        }
        assert owned == {
            cid: (o.owner, o.since, o.respond_by, o.protected_until, o.last_at)
            for cid, o in live.view.owned.items()
        }
        assert pool_page(self.views.engine, limit=CUSTOMERS) == [
            PoolRow(e.customer_id, f"第{self.customers.index(e.customer_id)}号测试贸易有限公司",
                    e.since, e.reason, e.previous_owner, e.cooldown_until)
            for e in live.pool_entries()
        ]
        now = self.clock.now()
        assert due_before(self.views.engine, now, limit=CUSTOMERS) == live.due_by(now)
        claimed = Counter(
            (e.rep_id, e.day) for e in all_events(self.app)
            if isinstance(e, Rep.CustomerTaken) and e.how == "claimed"
        )
        for rep in (*REPS, SUPERVISOR):
            by_day = sorted(((d, n) for (r, d), n in claimed.items() if r == rep), reverse=True)
            assert claims_per_day(self.views.engine, rep, days=1_000) == by_day

    @invariant()
    def the_timeline_and_the_collisions_tell_the_history(self) -> None:
        """Each customer's periods follow one another, the open one (if any) is the
        owner's; the collisions view holds every recorded collision, in order."""
        self.views.catch_up()
        for cid in self.customers:
            periods = timeline(self.views.engine, cid)
            lasting = [p.owner for p in periods if p.ended_at is None]
            assert lasting == ([] if self.app.owner_of(cid) is None else [self.app.owner_of(cid)])
            for earlier, later in itertools.pairwise(periods):
                assert earlier.ended_at is not None
                assert earlier.ended_at <= later.started_at
        recorded = [e for e in all_events(self.app) if isinstance(e, Collision.Recorded)]
        assert [
            (r.customer_id, r.rep, r.attempted, r.rule, r.other_party, r.refused, r.lost_race)
            for r in collisions_page(self.views.engine, limit=10_000)
        ] == [
            (e.customer_id, e.rep, e.attempted, e.rule, e.other_party, e.refused, e.lost_race)
            for e in recorded
        ]

    def teardown(self) -> None:
        """Once per history (it depends on nothing else): the views rebuilt from the log
        alone hold the rows the incremental ones reached step by step."""
        if not hasattr(self, "views"):
            return
        self.views.catch_up()
        rebuilt = views(self.app)
        rebuilt.catch_up()
        for table in (ownerships, pool, opportunities, reps, claims, rota, periods, collisions):
            assert _rows(rebuilt.engine, table) == _rows(self.views.engine, table)


def _answers(queries: SalesQueries, now: datetime) -> dict[str, object]:
    queries.catch_up()
    everyone = (*REPS, SUPERVISOR, "nobody")
    return {
        "reps": queries.rep_snapshots(),
        "round_robin": queries.last_round_robin(),
        "supervisors": {rep: queries.supervisor_of(rep) for rep in everyone},
        "due": queries.due_by(now),
        "customers_of": {rep: queries.customers_of(rep) for rep in everyone},
        "pool": queries.pool_entries(),
        "pool_page": queries.pool_entries(2, 1),
    }


def _rows(engine: Engine, table: Table) -> list[dict[str, object]]:
    with engine.connect() as connection:
        query = select(table).order_by(*table.primary_key.columns)
        return [dict(row) for row in connection.execute(query).mappings()]


OwnershipMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ownership_state_machine = OwnershipMachine.TestCase


def _persisted_sales(app: CrmApplication) -> SalesQueries:
    return SqlSalesQueries(app, open_read_models("sqlite://"), dispose=True)


class OwnershipOnViewsMachine(OwnershipMachine):
    """The same histories with commands deciding on the persisted views, as every `crm`
    command does: the invariants hold, and the answers equal a fold of the log."""

    sales = staticmethod(_persisted_sales)


OwnershipOnViewsMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ownership_on_views_state_machine = OwnershipOnViewsMachine.TestCase
