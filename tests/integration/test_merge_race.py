"""A merge racing other writers on one SQLite store: the loser is decided again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmcore import (
    AddIdentityKey,
    CrmApplication,
    DuplicateCustomer,
    ManualClock,
    MergeCustomers,
    normalise_key,
    parse_command,
)
from crmcore.config import DedupMode
from tests.conftest import registration


def _interleave(app: CrmApplication, other_writer: Callable[[], None]) -> list[int]:
    """Makes ``other_writer`` commit just before ``app``'s first save; counts saves."""
    original = app.save
    calls: list[int] = []

    def save(*aggregates: Any, **kwargs: Any) -> Any:
        calls.append(len(aggregates))
        if len(calls) == 1:
            other_writer()
        return original(*aggregates, **kwargs)

    app.save = save  # type: ignore[method-assign]
    return calls


def test_a_key_added_to_the_absorbed_customer_during_a_merge_moves_with_it(
    store_env: dict[str, str], clock: ManualClock
) -> None:
    env = store_env
    merger, rep = CrmApplication(env, clock=clock), CrmApplication(env, clock=clock)
    survivor = merger.register_customer(registration(company_name="甲公司", phone="13800000001"))
    absorbed = merger.register_customer(registration(company_name="乙公司", phone="13800000002"))
    late_key = parse_command(AddIdentityKey, {
        "actor": "rep-2", "customer_id": absorbed, "kind": "email", "value": "b@yi.cn"})
    saves = _interleave(merger, lambda: rep.add_identity_key(late_key))
    merger.merge_customers(parse_command(MergeCustomers, {
        "actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "dup"}))
    assert len(saves) == 2  # the first save lost to the rep's write and was decided again
    merged = rep.get_customer(survivor)
    assert merged.emails == ("b@yi.cn",)
    assert set(merged.phones) == {"+8613800000001", "+8613800000002"}
    holder = rep.find_customer_by_key(normalise_key("email", "b@yi.cn"))
    assert holder is not None
    assert holder.customer_id == survivor
    assert rep.get_customer(absorbed, follow_merges=False).emails == ()
    merger.close()
    rep.close()


def test_a_registration_racing_a_merge_meets_the_key_at_the_survivor(
    store_env: dict[str, str], clock: ManualClock
) -> None:
    env = store_env
    merger, rep = CrmApplication(env, clock=clock), CrmApplication(env, clock=clock)
    survivor = merger.register_customer(registration(company_name="甲公司", phone="13800000001"))
    absorbed = merger.register_customer(registration(company_name="乙公司", phone="13800000002"))
    results: list[Any] = []

    def register_same_phone() -> None:
        results.extend(rep.register_customers(
            [registration(company_name="丙公司", phone="13800000002")], mode=DedupMode.BLOCK))

    _interleave(merger, register_same_phone)
    merger.merge_customers(parse_command(MergeCustomers, {
        "actor": "mgr", "survivor_id": survivor, "absorbed_id": absorbed, "reason": "dup"}))
    (result,) = results
    assert isinstance(result.refusal, DuplicateCustomer)  # the key was still absorbed's
    again = rep.register_customers([registration(company_name="丙公司", phone="13800000002")])
    assert again[0].customer_id == survivor  # now it is the survivor's
    merger.close()
    rep.close()
