"""The batch scan: deterministic, rebuildable, and blind to the order records came in."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CrmApplication, ManualClock
from crmcore.config import DedupMode
from crmcore.identity.duplicate_scan import scan_duplicates
from tests.conftest import rebuilt_checkers, registration

RECORDS = [
    {"company_name": "北京市星河科技股份有限公司", "contact_name": "张伟"},
    {"company_name": "星河科技(北京)有限公司"},
    {"company_name": "北京星禾科技有限公司", "contact_name": "张伟"},  # homophone
    {"company_name": "北京星河贸易有限公司"},  # same brand, other trade
    {"company_name": "ACME Co., Ltd."},
    {"company_name": "Acme Company Limited"},
    {"contact_name": "王芳", "phone": "139 1234 5678"},
    {"contact_name": "王芳", "phone": "139 1234 5679"},
    {"company_name": "深圳華為技術有限公司"},
    {"company_name": "深圳华为技术有限公司"},
    {"company_name": "上海某某物流有限公司"},
]


def _scan_by_name(order: list[int]) -> tuple[set[tuple[str, str, str]], CrmApplication]:
    app = CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC)),
    )
    results = app.register_customers(
        [registration(**RECORDS[n]) for n in order], mode=DedupMode.WARN
    )
    name = {r.customer_id: str(order[r.position]) for r in results}
    pairs = set()
    for pair in scan_duplicates(app.identity).pairs:
        first, second = sorted((name[pair.customer_a], name[pair.customer_b]))
        pairs.add((first, second, str(pair.suggested_action)))
    return pairs, app


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(len(RECORDS))))
def test_the_scan_finds_the_same_pairs_whatever_order_the_records_came_in(
    order: list[int],
) -> None:
    in_order, _ = _scan_by_name(list(range(len(RECORDS))))
    shuffled, _ = _scan_by_name(order)
    assert shuffled == in_order
    merges = {(a, b) for a, b, action in in_order if action == "merge"}
    assert {("0", "1"), ("4", "5"), ("8", "9")} <= merges


def test_a_scan_rebuilt_from_the_log_equals_the_incremental_one() -> None:
    _, app = _scan_by_name(list(range(len(RECORDS))))
    incremental = scan_duplicates(app.identity)
    for fresh in rebuilt_checkers(app).values():
        assert scan_duplicates(fresh) == incremental
    assert incremental.pairs  # the comparison is not between two empty lists
