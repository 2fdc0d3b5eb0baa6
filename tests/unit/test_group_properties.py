"""Properties of group trees under any sequence of links and unlinks."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import (
    CrmApplication,
    GroupRefused,
    LinkCustomer,
    ManualClock,
    UnlinkCustomer,
    parse_command,
)
from crmcore.domain import GroupMembership, membership_id
from tests.conftest import rebuilt_checkers, registration

NAMES = ["星河科技", "蓝天物流", "金石建材", "青松食品", "华光电子", "远航船舶"]
N = len(NAMES)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("link"), st.integers(0, N - 1), st.integers(0, N - 1)),
        st.tuples(st.just("unlink"), st.integers(0, N - 1), st.just(0)),
    ),
    max_size=25,
)


class Model:
    """The tree as a plain parent map: what every answer of the application must match."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def ancestors(self, node: int) -> list[int]:
        chain = []
        while node in self.parent:
            node = self.parent[node]
            chain.append(node)
        return chain

    def link_refusal(self, child: int, parent: int) -> str | None:
        if child in self.parent:
            return "has_parent"
        if child in self.ancestors(parent):
            return "cycle"
        return None

    def component(self, node: int) -> set[int]:
        top = ([node, *self.ancestors(node)])[-1]
        return {n for n in range(N) if ([n, *self.ancestors(n)])[-1] == top}


def _expected_refusal(model: Model, op: tuple[str, int, int]) -> str | None:
    kind, a, b = op
    if kind == "link":
        return model.link_refusal(a, b)
    return None if a in model.parent else "not_linked"


def _apply(app: CrmApplication, ids: list[UUID], model: Model, op: tuple[str, int, int]) -> None:
    kind, a, b = op
    if kind == "link" and a == b:
        return  # refused by the command's validation (tested with the commands)
    expected = _expected_refusal(model, op)
    refusal: str | None = None
    try:
        if kind == "link":
            app.link_customer(parse_command(LinkCustomer, {
                "actor": "m", "child_id": ids[a], "parent_id": ids[b], "relation": "branch"}))
        else:
            app.unlink_customer(parse_command(
                UnlinkCustomer, {"actor": "m", "customer_id": ids[a]}))
    except GroupRefused as refused:
        refusal = refused.rule
    assert refusal == expected, op
    if refusal is None and kind == "link":
        model.parent[a] = b
    elif refusal is None:
        del model.parent[a]


def _check(app: CrmApplication, ids: list[UUID], model: Model) -> None:
    app.identity.catch_up()
    checkers = [app.identity, *rebuilt_checkers(app).values()]
    for n in range(N):
        view = app.group_of(ids[n])
        component = model.component(n)
        if len(component) == 1:
            assert view is None
            assert all(c.source.groups_of([ids[n]]) == {} for c in checkers)
            continue
        assert view is not None
        assert {m.customer_id for m in view.members} == {ids[c] for c in component}
        parents = {m.customer_id: m.parent_id for m in view.members}
        assert parents[ids[n]] == (ids[model.parent[n]] if n in model.parent else None)
        membership = app.repository.get(membership_id(ids[n]))
        assert isinstance(membership, GroupMembership)
        assert membership.group_id == view.group_id
        # The cross-group read model, incremental and rebuilt, agrees with the aggregates.
        for checker in checkers:
            assert checker.source.groups_of([ids[n]]) == {ids[n]: view.group_id}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_every_customer_has_one_parent_at_most_and_trees_never_cycle(
    ops: list[tuple[str, int, int]],
) -> None:
    app = CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC)),
    )
    ids = [app.register_customer(registration(company_name=name)) for name in NAMES]
    model = Model()
    for op in ops:
        _apply(app, ids, model, op)
        _check(app, ids, model)
