"""The duplicate-candidates view kept current equals a scan of the whole book.

Random histories (look-alikes registered in warn mode, merges, splits, corrections,
keys gained and lost, a switchboard phone turning generic, pairs dismissed by a person)
run on an application whose check asks the persisted identity view. After every few
commands the report is brought current incrementally - only the customers the new
events marked are recomputed - and at the end it must hold exactly the pairs a scan of
the whole book finds, less the dismissed ones; a rebuild of the view (which scans) must
give the same rows again.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from crmcore import CrmError, MergeCustomers, parse_command
from crmcore.config import DedupMode
from crmcore.domain.duplicate_dismissal import DuplicateDismissal
from crmcore.identity.duplicate_scan import scan_duplicates
from projections.duplicate_candidates import DUPLICATES_VIEW, read_report, refresh
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import all_events, registration
from tests.unit.test_identity_view import (
    COMPANIES,
    PHONES,
    UNRELATED,
    _apply,
    _new_app,
    histories,
    operations,
    pick,
    records,
)

# The identity view's histories, with more of what moves a pair without a merge: a
# company renamed into or out of a look-alike, and phones gained, lost or made generic.
renames = st.tuples(st.just("correct"), pick, st.sampled_from(COMPANIES + UNRELATED))
key_changes = st.tuples(st.sampled_from(("add_key", "remove_key")), pick, st.sampled_from(PHONES))
generic = st.tuples(st.just("switchboard"), st.none(), st.none())
# A person saying two customers are two: the pair must leave and stay out.
dismissals = st.tuples(st.just("dismiss"), pick, pick)
moving = st.lists(st.one_of(renames, key_changes, generic, dismissals), min_size=1, max_size=6)
pair_histories = st.one_of(
    histories,
    st.tuples(st.lists(records, min_size=3, max_size=6), operations, moving).map(
        lambda h: [("register", h[0], DedupMode.WARN), *h[1], *h[2]]
    ),
)


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    return [
        (r.customer_a, r.customer_b, r.score, r.features, r.rule, r.suggested_action,
         tuple(r.shared_keys))
        for r in read_report(engine).rows
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair_histories, st.lists(st.integers(1, 4), min_size=1, max_size=8))
def test_the_report_kept_current_is_the_scan_of_the_whole_book(
    ops: list[tuple[str, Any, Any]], steps: list[int]
) -> None:
    engine = open_read_models("sqlite://")
    app = _new_app(engine)
    runner = ProjectionRunner(app, engine, [DUPLICATES_VIEW])
    runner.catch_up()
    assert refresh(app.identity, engine).how == "scan"  # the first: of an empty book
    ids: list[Any] = []
    done, hows = 0, set()
    for step in [*steps, len(ops)]:
        for kind, target, value in ops[done : done + step]:
            with suppress(CrmError):  # refusals are part of the history
                _apply(app, ids, kind, target, value)
        done += step
        runner.catch_up()
        hows.add(refresh(app.identity, engine).how)
    assert hows == {"incremental"}

    scanned = scan_duplicates(app.identity)
    dismissed = {
        (e.customer_a, e.customer_b)
        for e in all_events(app)
        if isinstance(e, DuplicateDismissal.Dismissed)
    }
    expected = [
        (str(p.customer_a), str(p.customer_b), p.score, p.features, p.rule,
         p.suggested_action, p.shared_keys)
        for p in scanned.pairs
        if (p.customer_a, p.customer_b) not in dismissed
    ]
    assert _rows(engine) == expected

    runner.rebuild([DUPLICATES_VIEW.name])
    assert refresh(app.identity, engine).how == "scan"
    assert _rows(engine) == expected
    app.close()


def test_a_merge_takes_the_pair_out_and_a_new_look_alike_brings_one_in() -> None:
    engine = open_read_models("sqlite://")
    app = _new_app(engine)
    runner = ProjectionRunner(app, engine, [DUPLICATES_VIEW])
    first, second = (
        r.customer_id
        for r in app.register_customers(
            [registration(company_name="北京华信鼎盛科技有限公司"),
             registration(company_name="华信鼎盛科技（北京）股份有限公司")],
            mode=DedupMode.WARN,
        )
    )
    runner.catch_up()
    refresh(app.identity, engine)
    assert {(r.customer_a, r.customer_b) for r in read_report(engine).rows} == {
        tuple(sorted((str(first), str(second))))
    }
    app.merge_customers(parse_command(MergeCustomers, {
        "actor": "m", "survivor_id": str(first), "absorbed_id": str(second), "reason": "same"}))
    runner.catch_up()
    assert refresh(app.identity, engine).how == "incremental"
    assert read_report(engine).rows == []
    (third,) = app.register_customers(
        [registration(company_name="華信鼎盛科技有限公司")], mode=DedupMode.WARN
    )
    runner.catch_up()
    refresh(app.identity, engine)
    rows = read_report(engine).rows
    assert [(r.name_a, r.name_b) for r in rows if str(third.customer_id) in
            (r.customer_a, r.customer_b)] != []
    app.close()
