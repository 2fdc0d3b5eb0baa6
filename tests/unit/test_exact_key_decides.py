"""An exact key held by another customer decides, whatever the fuzzy candidates say.

The three rows of the report that crashed an import: (1) a company with a credit code;
(2) the same company written differently, no credit code, warned and created; (3) a
short form of the name carrying (1)'s credit code in lower case. Customer ids are
chosen so that (2) ranks before (1) on a score tie, which is what made the fuzzy
candidate displace the holder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, count
from uuid import UUID, uuid4

import pytest

from crmcore import CrmApplication, DuplicateCustomer, ManualClock
from crmcore.config import DedupMode, EntryPath
from crmcore.domain import Customer
from crmcore.identity import KeyKind
from tests.conftest import registration

USCC = "91110105MA01ABCDEB"
HOLDER = UUID("f0000000-0000-4000-8000-000000000001")
LOOKALIKE = UUID("00000000-0000-4000-8000-000000000002")


def ids(*first: UUID) -> Callable[[], UUID]:
    """New ids: the given ones first, then random ones."""
    source: Iterator[UUID] = chain(first, (uuid4() for _ in count()))
    return lambda: next(source)


@pytest.fixture
def app(clock: ManualClock) -> CrmApplication:
    return CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=clock,
        new_id=ids(HOLDER, LOOKALIKE),
    )


def _first_two_rows(app: CrmApplication) -> None:
    app.register_customers(
        [
            registration(company_name="北京华信鼎盛科技有限公司", uscc=USCC, phone="13800138000"),
            registration(company_name="华信鼎盛科技（北京）股份有限公司", phone="13900139000"),
        ],
        entry_path=EntryPath.IMPORT,
        mode=DedupMode.WARN,
    )


def _third_row() -> dict[str, str]:
    return {"company_name": "华信鼎盛科技", "uscc": USCC.lower(), "phone": "13700137000"}


@pytest.mark.parametrize("mode", [DedupMode.BLOCK, DedupMode.WARN])
def test_a_held_credit_code_blocks_naming_its_holder_though_a_lookalike_ranks_first(
    app: CrmApplication, mode: DedupMode
) -> None:
    _first_two_rows(app)
    (result,) = app.register_customers(
        [registration(**_third_row())], entry_path=EntryPath.IMPORT, mode=mode
    )
    assert result.outcome == "blocked"
    assert result.decision.rule == "exact_key"
    assert result.customer_id == HOLDER
    assert result.refusal is not None
    assert result.refusal.key == f"uscc:{USCC}"
    assert result.decision.matches[0].customer_id == HOLDER
    assert LOOKALIKE in result.decision.matched_customer_ids  # still explained


def test_in_merge_mode_the_record_joins_the_holder_not_the_lookalike(
    app: CrmApplication,
) -> None:
    _first_two_rows(app)
    (result,) = app.register_customers(
        [registration(**_third_row())], entry_path=EntryPath.IMPORT, mode=DedupMode.MERGE
    )
    assert (result.outcome, result.customer_id) == ("merged", HOLDER)
    holder = app.repository.get(HOLDER)
    assert isinstance(holder, Customer)
    assert "+8613700137000" in holder.keys_of(KeyKind.PHONE)
    lookalike = app.repository.get(LOOKALIKE)
    assert isinstance(lookalike, Customer)
    assert lookalike.version == 2


@pytest.mark.parametrize("mode", list(DedupMode))
def test_keys_held_by_two_customers_refuse_the_record_in_every_mode_naming_both(
    app: CrmApplication, mode: DedupMode
) -> None:
    _first_two_rows(app)
    command = registration(company_name="华信鼎盛科技", uscc=USCC, phone="13900139000")
    (result,) = app.register_customers([command], entry_path=EntryPath.IMPORT, mode=mode)
    assert result.outcome == "blocked"
    assert result.decision.rule == "exact_key_conflict"
    assert set(result.decision.holders) == {HOLDER, LOOKALIKE}
    refusal = result.refusal
    assert refusal is not None
    named = {refusal.existing_customer_id, *refusal.other_holders}
    assert named == {HOLDER, LOOKALIKE}
    assert str(HOLDER) in str(refusal)
    assert str(LOOKALIKE) in str(refusal)
    assert app.find_customer_by_key(command.identity_keys()[0]) is not None
    with pytest.raises(DuplicateCustomer, match="different customers"):
        app.register_customer(command, entry_path=EntryPath.IMPORT)


def test_two_holders_within_one_batch_are_a_conflict_too(clock: ManualClock) -> None:
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    results = app.register_customers(
        [
            registration(company_name="甲公司", phone="13800138000"),
            registration(company_name="乙公司", email="a@b.cn"),
            registration(company_name="丙公司", phone="13800138000", email="a@b.cn"),
        ],
        mode=DedupMode.MERGE,
    )
    assert [r.outcome for r in results] == ["created", "created", "blocked"]
    assert set(results[2].decision.holders) == {results[0].customer_id, results[1].customer_id}
