"""Generic values: a switchboard shared by unrelated companies stops being an identity."""

from __future__ import annotations

from uuid import UUID

import pytest

from crmcore import (
    CrmApplication,
    CrmConfig,
    DuplicateCustomer,
    ManualClock,
    RemoveIdentityKey,
    normalise_key,
    parse_command,
)
from crmcore.config import IdentityConfig
from crmcore.domain import IdentityKeyIndex
from crmcore.identity.check import IdentityChecker
from crmcore.identity.duplicate_scan import scan_duplicates
from crmcore.identity.memory_index import MemoryIndex
from tests.conftest import all_events, event_count, register, registration

SWITCHBOARD = "010-6552 1234"
UNRELATED = ["上海蓝海物流有限公司", "深圳锐安医疗器械有限公司", "杭州鸿雁食品有限公司",
             "成都麒麟建筑工程有限公司", "武汉青竹教育咨询有限公司"]


def generic_events(app: CrmApplication) -> list[IdentityKeyIndex.DeclaredGeneric]:
    return [e for e in all_events(app) if isinstance(e, IdentityKeyIndex.DeclaredGeneric)]


def test_a_phone_entered_by_five_unrelated_companies_becomes_generic(
    app: CrmApplication,
) -> None:
    holder = register(app, company_name="北京星河科技有限公司", phone=SWITCHBOARD)
    refused: list[UUID] = []
    for name in UNRELATED[:3]:
        with pytest.raises(DuplicateCustomer) as raised:
            register(app, company_name=name, phone=SWITCHBOARD)
        refused.append(raised.value.existing_customer_id)
    assert refused == [holder] * 3
    assert generic_events(app) == []
    fourth = register(app, company_name=UNRELATED[3], phone=SWITCHBOARD)  # the fifth company
    (declared,) = generic_events(app)
    assert declared.key == "phone:+861065521234"
    assert declared.companies == ["蓝海物流", "锐安医疗器械", "鸿雁食品", "麒麟建筑工程"]
    assert declared.threshold == 5
    fifth = register(app, company_name=UNRELATED[4], phone=SWITCHBOARD)
    assert len({holder, fourth, fifth}) == 3
    assert app.get_customer(fifth).phones == ("+861065521234",)  # still listed as contact data
    assert app.find_customer_by_key(normalise_key("phone", SWITCHBOARD)) is None


def test_the_same_company_entered_again_never_counts_toward_generic(app: CrmApplication) -> None:
    config = CrmConfig(identity=IdentityConfig(generic_key_after=2))
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         clock=ManualClock(app.clock.now()), config=config)
    register(app, company_name="北京星河科技有限公司", phone=SWITCHBOARD)
    for name in ["星河科技(北京)", "北京星河科技股份有限公司", "北京星禾科技"]:
        with pytest.raises(DuplicateCustomer):
            register(app, company_name=name, phone=SWITCHBOARD)
    with pytest.raises(DuplicateCustomer):  # no company name: no evidence of another company
        register(app, contact_name="王伟", phone=SWITCHBOARD)
    assert generic_events(app) == []


def test_a_credit_code_is_never_generic(app: CrmApplication) -> None:
    config = CrmConfig(identity=IdentityConfig(generic_key_after=2))
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         clock=ManualClock(app.clock.now()), config=config)
    register(app, company_name="北京星河科技有限公司", uscc="91110000600037341L")
    for name in UNRELATED:
        with pytest.raises(DuplicateCustomer):
            register(app, company_name=name, uscc="91110000600037341L")
    assert generic_events(app) == []


def test_one_batch_sees_a_key_become_generic_halfway(app: CrmApplication) -> None:
    register(app, company_name="北京星河科技有限公司", email="info@agency.cn")
    results = app.register_customers(
        [registration(company_name=name, email="info@agency.cn") for name in UNRELATED])
    assert [r.outcome for r in results] == ["blocked", "blocked", "blocked", "created", "created"]
    assert len(generic_events(app)) == 1


def test_a_rebuilt_checker_knows_the_key_is_generic(app: CrmApplication) -> None:
    register(app, company_name="北京星河科技有限公司", phone=SWITCHBOARD)
    app.register_customers([registration(company_name=n, phone=SWITCHBOARD) for n in UNRELATED])
    config = app.config.identity
    fresh = IdentityChecker(
        config, MemoryIndex(config.max_block_size, config.group_brand_chars, app)
    )
    fresh.catch_up()
    switchboard = normalise_key("phone", SWITCHBOARD)
    assert fresh.source.generic_among([switchboard]) == {switchboard}
    assert [p for p in scan_duplicates(fresh).pairs if p.shared_keys] == []
    count = event_count(app)
    newcomer = register(app, company_name="西安卓越贸易有限公司", phone=SWITCHBOARD)
    assert event_count(app) == count + 1  # the customer alone: no key claimed, none contested
    assert app.get_customer(newcomer).phones == ("+861065521234",)


def test_a_customer_listing_a_generic_key_can_drop_it(app: CrmApplication) -> None:
    register(app, company_name="北京星河科技有限公司", phone=SWITCHBOARD)
    results = app.register_customers(
        [registration(company_name=n, phone=SWITCHBOARD) for n in UNRELATED])
    lister = results[-1].customer_id
    app.remove_identity_key(parse_command(RemoveIdentityKey, {
        "actor": "rep-1", "customer_id": lister, "kind": "phone", "value": SWITCHBOARD}))
    assert app.get_customer(lister).phones == ()
