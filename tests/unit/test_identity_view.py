"""The persisted identity view: the same decisions as the index folded into memory, and
the same tables whether kept incrementally, rebuilt from the log, or stopped and restarted.

Random command histories over small pools of names and phones (so records collide,
merge, split, gain and lose keys, join groups and turn phones generic) run twice, with
the same ids and clock: once on an application whose check asks the in-memory index,
once on one whose check asks the persisted view. Every decision leaves events, so equal
logs mean equal decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from itertools import count
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    CrmApplication,
    CrmError,
    LinkCustomer,
    ManualClock,
    MergeCustomers,
    RemoveIdentityKey,
    SplitCustomer,
    UnlinkCustomer,
    parse_command,
)
from crmcore.config import DedupMode
from crmcore.customers.dismissal import DismissDuplicatePair
from crmcore.domain import CrossGroupCollisionFlagged, Customer, DuplicateAttempt
from crmcore.identity import normalise_key
from crmcore.identity.memory_index import MemoryIndex
from crmcore.identity.profile import build_profile
from projections.collisions import COLLISIONS_VIEW, collisions_page
from projections.identity_index import IDENTITY_VIEW, blocks
from projections.identity_queries import SqlCandidateSource
from projections.identity_statements import statements
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import START, all_events, registration, view_rows
from tests.postgres_server import postgres_views_url

COMPANIES = (
    "北京华信鼎盛科技有限公司",
    "华信鼎盛科技（北京）股份有限公司",
    "華信鼎盛科技有限公司",
    "上海华信鼎盛科技有限公司",
    "华信鼎盛物流有限公司",
    "北京星河科技有限公司",
    "西安卓越贸易有限公司",
    "Acme Co., Ltd.",
)
PHONES = ("138 0013 8000", "13900139000", "13900139001", "010-6552 1234")
# Unrelated companies entering one switchboard number: the fifth makes it generic.
UNRELATED = ("上海蓝海物流有限公司", "深圳锐安医疗器械有限公司", "杭州鸿雁食品有限公司",
             "成都麒麟建筑工程有限公司", "武汉青竹教育咨询有限公司")

records = st.fixed_dictionaries(
    {
        "company_name": st.sampled_from(COMPANIES),
        "contact_name": st.one_of(st.none(), st.sampled_from(("王伟", "王玮", "Wang Wei"))),
        "phone": st.one_of(st.none(), st.sampled_from(PHONES)),
        "region": st.one_of(st.none(), st.sampled_from(("北京", "上海", "深圳"))),
    }
).map(lambda r: {k: v for k, v in r.items() if v is not None})
pick = st.integers(0, 30)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.lists(records, min_size=1, max_size=3),
                  st.sampled_from(list(DedupMode))),
        st.tuples(st.just("merge"), pick, pick),
        st.tuples(st.just("merge"), pick, pick),
        st.tuples(st.just("split"), pick, st.none()),
        st.tuples(st.just("switchboard"), st.none(), st.none()),
        st.tuples(st.just("correct"), pick, st.sampled_from(COMPANIES)),
        st.tuples(st.just("add_key"), pick, st.sampled_from(PHONES)),
        st.tuples(st.just("remove_key"), pick, st.sampled_from(PHONES)),
        st.tuples(st.just("link"), pick, pick),
        st.tuples(st.just("unlink"), pick, st.none()),
    ),
    min_size=1,
    max_size=20,
)
# A book to start from (look-alikes created side by side: warn mode), then the history.
histories = st.tuples(st.lists(records, min_size=3, max_size=6), operations).map(
    lambda h: [("register", h[0], DedupMode.WARN), *h[1]]
)


def _run(ops: list[tuple[str, Any, Any]], app: CrmApplication) -> None:
    ids: list[UUID] = []
    for kind, target, value in ops:
        with suppress(CrmError):  # refusals are part of the history being modelled
            _apply(app, ids, kind, target, value)


def _apply(app: CrmApplication, ids: list[UUID], kind: str, target: Any, value: Any) -> None:
    if kind == "register":
        results = app.register_customers([registration(**r) for r in target], mode=value)
        ids.extend(r.customer_id for r in results if r.refusal is None)
        return
    if kind == "switchboard":
        for name in UNRELATED:
            with suppress(CrmError):
                ids.append(app.register_customer(registration(company_name=name, phone=PHONES[3])))
        return
    if not ids:
        return
    cid = str(ids[target % len(ids)])
    other = str(ids[value % len(ids)]) if isinstance(value, int) else None
    command: Any
    if kind == "merge" and other != cid:
        command = {"survivor_id": cid, "absorbed_id": other, "reason": "same"}
        app.merge_customers(parse_command(MergeCustomers, {"actor": "m", **command}))
    elif kind == "split":
        command = {"actor": "m", "tombstone_id": cid, "reason": "not the same"}
        app.split_customer(parse_command(SplitCustomer, command))
    elif kind == "correct":
        command = {"actor": "rep-1", "customer_id": cid, "company_name": value}
        app.correct_contact_details(parse_command(CorrectContactDetails, command))
    elif kind in ("add_key", "remove_key"):
        command = {"actor": "rep-1", "customer_id": cid, "kind": "phone", "value": value}
        if kind == "add_key":
            app.add_identity_key(parse_command(AddIdentityKey, command))
        else:
            app.remove_identity_key(parse_command(RemoveIdentityKey, command))
    elif kind == "link" and other != cid:
        command = {"actor": "m", "child_id": cid, "parent_id": other, "relation": "subsidiary"}
        app.link_customer(parse_command(LinkCustomer, command))
    elif kind == "unlink":
        app.unlink_customer(parse_command(UnlinkCustomer, {"actor": "m", "customer_id": cid}))
    elif kind == "dismiss" and other != cid:
        command = {"actor": "m", "customer_a": cid, "customer_b": other, "reason": "two"}
        app.dismiss_duplicate_pair(parse_command(DismissDuplicatePair, command))


def _new_app(engine: Engine | None) -> CrmApplication:
    serial = count(1)
    candidates: Callable[[CrmApplication], Any] | None = None
    if engine is not None:
        def candidates(app: CrmApplication) -> SqlCandidateSource:
            return SqlCandidateSource(app, engine, app.config.identity.max_block_size,
                                      dispose=False)
    return CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(START),
        new_id=lambda: UUID(int=next(serial), version=4),
        candidates=candidates,
    )


_VIEWS = (IDENTITY_VIEW, COLLISIONS_VIEW)


def _collisions_are_the_refusals_and_warnings(app: CrmApplication, engine: Engine) -> None:
    """One collision row per blocked record (refused) and per record created with a
    warning or a cross-group flag (not refused), about the customer it names."""
    expected = []
    for event in all_events(app):
        if isinstance(event, DuplicateAttempt.Blocked):
            expected.append((event.existing_customer_id, "duplicate", event.rule, True))
        elif isinstance(event, Customer.PossibleDuplicateFlagged):
            expected.append((event.originator_id, "duplicate", event.rule, False))
        elif isinstance(event, CrossGroupCollisionFlagged):
            expected.append((event.originator_id, "group", "cross_group", False))
    rows = collisions_page(engine, limit=10_000)
    assert [(r.customer_id, r.kind, r.rule, r.refused) for r in rows] == expected


def _contents(source: Any) -> tuple[Any, ...]:
    contents = source.contents()
    entries = sorted((e.entry_id, e.customer_id, e.profile) for e in contents.entries)
    return entries, contents.merged_into, contents.generic, contents.groups


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.lists(st.integers(1, 6), min_size=1, max_size=5))
def test_the_persisted_view_decides_as_memory_and_rebuilds_to_the_same_tables(
    ops: list[tuple[str, Any, Any]], stops: list[int]
) -> None:
    in_memory = _new_app(None)
    _run(ops, in_memory)
    engine = open_read_models("sqlite://")
    persisted = _new_app(engine)
    _run(ops, persisted)
    assert all_events(persisted) == all_events(in_memory)

    persisted.identity.catch_up()
    ProjectionRunner(persisted, engine, [COLLISIONS_VIEW]).catch_up()
    rebuilt = open_read_models("sqlite://")
    ProjectionRunner(persisted, rebuilt, _VIEWS).catch_up()
    restarted = open_read_models("sqlite://")
    for limit in stops:  # a new runner each time: a restart after a crash
        ProjectionRunner(persisted, restarted, _VIEWS, batch_size=2).catch_up(limit=limit)
    ProjectionRunner(persisted, restarted, _VIEWS, batch_size=2).catch_up()
    assert view_rows(engine, _VIEWS) == view_rows(rebuilt, _VIEWS) == view_rows(restarted, _VIEWS)
    _collisions_are_the_refusals_and_warnings(persisted, engine)

    memory = in_memory.identity.source
    memory.catch_up()
    assert isinstance(memory, MemoryIndex)
    assert _contents(persisted.identity.source) == _contents(memory)


def test_a_block_too_common_is_skipped_but_an_exact_key_never_is() -> None:
    engine = open_read_models("sqlite://")
    app = _new_app(engine)
    # Twelve one-character brands: every core X科技 is also filed under "ke ji" (X left out).
    brands = [chr(0x4E00 + 7 * n) for n in range(12)]
    app.register_customers(
        [registration(company_name=f"北京{b}科技有限公司", phone=f"1390013{n:04d}")
         for n, b in enumerate(brands)],
        mode=DedupMode.WARN,
    )
    # The first customer's phone re-entered eleven times: eleven refused attempts.
    for n in range(11):
        app.register_customers(
            [registration(company_name=f"上海第{n}贸易有限公司", phone="13900130000")],
            mode=DedupMode.BLOCK,
        )
    app.identity.catch_up()
    # No region: its typo keys are read in every province, one range look-up a sound.
    probe = build_profile(company_name="某科技有限公司", contact_name=None,
                          keys=[normalise_key("phone", "13900130000")])
    wide = SqlCandidateSource(app, engine, max_block_size=300, dispose=False)
    narrow = SqlCandidateSource(app, engine, max_block_size=10, dispose=False)
    memory = MemoryIndex(10, 2, app)
    memory.catch_up()

    def found(source: Any) -> set[UUID]:
        return {entry.entry_id for entry in source.candidates(probe)}

    assert len(found(wide)) == 23  # twelve customers and eleven attempts
    # "ke ji" names 12 entries, more than 10: skipped; the phone's 12 entries are not.
    assert len(found(narrow)) == 12
    assert found(narrow) == found(memory)
    # In another province the same sound's block is another block.
    shenzhen = build_profile(company_name="深圳某科技有限公司", contact_name=None, keys=[])
    assert not wide.candidates(shenzhen)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_sound_read_in_every_province_skips_only_its_oversized_blocks(store: str) -> None:
    # PostgreSQL reads the ranges as one array statement, SQLite as a union of arms.
    engine = open_read_models("sqlite://" if store == "sqlite" else postgres_views_url())
    app = _new_app(engine)
    # 70 Beijing X科技 share the typo block "ke ji" in Beijing; one in Guangzhou has it
    # alone. With a limit of one entry a block, the range read of the sound stops once
    # it holds more rows than 34 blocks of that size: the sound is crowded.
    app.register_customers(
        [registration(company_name=f"北京{chr(0x4E00 + 7 * n)}科技有限公司") for n in range(70)]
        + [registration(company_name="广州鑫科技有限公司")],
        mode=DedupMode.WARN,
    )
    app.identity.catch_up()
    probe = build_profile(company_name="某科技有限公司", contact_name=None, keys=[])
    # typo_block_size is taken as at most the block limit: at 1, Beijing's oversized
    # block makes the sound crowded (the probe names no contact: none); at 100 the 71
    # entries are not crowded.
    for limit in (1, 100):
        source = SqlCandidateSource(
            app, engine, max_block_size=limit, dispose=False, typo_block_size=1000
        )
        memory = MemoryIndex(limit, 2, app, typo_block_size=1000)
        memory.catch_up()
        found = {entry.entry_id for entry in source.candidates(probe)}
        assert found == {entry.entry_id for entry in memory.candidates(probe)}
        assert len(found) == (0 if limit == 1 else 71)
        source.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_crowded_typo_sound_is_read_through_the_contacts_surname(store: str) -> None:
    """A typo sound holding more than typo_block_size customers in the record's
    provinces is read through its surname block: the candidates are those of the same
    surname sound (张 and 章 alike) in any province; a record naming no contact reads
    no typo block of that sound. Below the size, the province blocks as before."""
    engine = open_read_models("sqlite://" if store == "sqlite" else postgres_views_url())
    app = _new_app(engine)
    contacts = ["王芳", "李娜", "刘洋", "陈静"]
    beijing = [
        registration(company_name=f"北京{chr(0x4E00 + 7 * n)}科技有限公司",
                     contact_name=contacts[n % 4])
        for n in range(40)
    ]
    elsewhere = [
        registration(company_name="广州鑫科技有限公司", contact_name="章伟"),
        registration(company_name="广州淼科技有限公司", contact_name="王强"),
    ]
    app.register_customers(beijing + elsewhere, mode=DedupMode.WARN)
    app.identity.catch_up()

    def found(source: Any, company: str, contact: str | None) -> set[UUID]:
        probe = build_profile(company_name=company, contact_name=contact, keys=[])
        return {entry.customer_id for entry in source.candidates(probe)}

    for cap, crowded in ((10, True), (100, False)):
        source = SqlCandidateSource(
            app, engine, max_block_size=300, dispose=False, typo_block_size=cap
        )
        memory = MemoryIndex(300, 2, app, typo_block_size=cap)
        memory.catch_up()
        for company, contact in (("北京某科技有限公司", "汪明"), ("北京某科技有限公司", None),
                                 ("某科技有限公司", "张三"), ("北京某科技有限公司", "李雷")):
            persisted = found(source, company, contact)
            assert persisted == found(memory, company, contact)
            if not crowded:
                # Beijing's 40 (the region-less one: every province's, 42).
                assert len(persisted) == (42 if company.startswith("某") else 40)
            elif contact is None:
                assert persisted == set()
            elif contact == "汪明":  # wang: 王芳 x10 in Beijing, 王强 in Guangzhou
                assert len(persisted) == 11
            elif contact == "张三":  # zhang: 章伟 in Guangzhou only
                assert len(persisted) == 1
            else:  # li: 李娜 x10
                assert len(persisted) == 10
        source.close()


def test_a_grouped_customer_renamed_is_found_under_its_new_brand() -> None:
    history: list[tuple[str, Any, Any]] = [
        ("register", [{"company_name": "北京星河科技有限公司"},
                      {"company_name": "上海蓝海物流有限公司"}], DedupMode.WARN),
        ("link", 1, 0),
        ("correct", 1, "北京鸿雁食品有限公司"),
    ]
    apps = {"memory": _new_app(None), "persisted": _new_app(open_read_models("sqlite://"))}
    for app in apps.values():
        _run(history, app)
        app.identity.catch_up()
    for name, app in apps.items():
        source = app.identity.source
        assert len(source.grouped_under("鸿雁")) == 1, name
        assert source.grouped_under("蓝海") == set(), name
    assert _contents(apps["persisted"].identity.source) == _contents(apps["memory"].identity.source)


def test_a_candidate_merged_twice_stands_for_the_last_survivor() -> None:
    """The first step of a merge is read with the candidate's entry; the rest of the
    chain must still be followed (A into B, then B into C: A stands for C)."""
    engine = open_read_models("sqlite://")
    app = _new_app(engine)
    a, b, c = (
        app.register_customer(registration(company_name=name, phone=phone))
        for name, phone in (("北京星河数据科技有限公司", "13811112222"),
                            ("上海蓝海物流有限公司", "13833334444"),
                            ("深圳锐安医疗器械有限公司", "13855556666"))
    )
    for survivor, absorbed in ((b, a), (c, b)):
        command = {"actor": "m", "survivor_id": str(survivor), "absorbed_id": str(absorbed),
                   "reason": "same company"}
        app.merge_customers(parse_command(MergeCustomers, command))
    app.identity.catch_up()  # a new batch: nothing kept from the merges' checks
    probe = build_profile(company_name="北京星河数据科技有限公司", contact_name=None, keys=[])
    assert {m.customer_id for m in app.identity.matches(probe, {})} == {c}


def test_another_process_declaring_a_key_generic_or_grouping_is_seen_after_catch_up() -> None:
    # A source remembers that the book has no generic key and no group (most have
    # neither, and a check then skips asking); another writer's change must undo that.
    engine = open_read_models("sqlite://")
    app = _new_app(engine)
    ids: list[UUID] = []
    _apply(app, ids, "register", [{"company_name": COMPANIES[5], "phone": PHONES[3]},
                                  {"company_name": COMPANIES[6]}], DedupMode.WARN)
    other = SqlCandidateSource(app, engine, max_block_size=300, dispose=False)
    other.catch_up()
    switchboard = normalise_key("phone", PHONES[3])
    assert other.generic_among({switchboard}) == set()
    assert other.groups_of(set(ids)) == {}
    assert other.grouped_under("星河") == set()

    _apply(app, ids, "switchboard", None, None)  # the app's own source files these
    _apply(app, ids, "link", 0, 1)
    app.identity.catch_up()
    other.catch_up()  # its views were moved by the app's runner, not by this one
    assert other.generic_among({switchboard}) == {switchboard}
    assert set(other.groups_of(set(ids[:2]))) == set(ids[:2])
    assert other.grouped_under("星河") == {ids[0]}
    other.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_typo_range_at_either_end_of_the_hash_space_is_read_whole(store: str) -> None:
    # A sound's blocks lie in [base, base + 63]; at the top of a signed 64-bit hash the
    # bound must not overflow (PostgreSQL refuses base + 64 there).
    engine = open_read_models("sqlite://" if store == "sqlite" else postgres_views_url())
    app = _new_app(engine)
    app.identity.catch_up()  # creates the view's tables
    top, bottom = 2**63 - 64, -(2**63)
    values = [top + 1, top + 63, bottom + 34, top - 1, bottom + 64]  # the last two: outside
    with engine.begin() as connection:
        connection.execute(blocks.insert(), [{"key_hash": v, "entry_no": n}
                                             for n, v in enumerate(values)])
    sql = statements(store == "postgres")
    with engine.connect() as connection:
        found = set(sql.ranges(connection, [top, bottom], 10))
    assert found == {(top + 1, 0), (top + 63, 1), (bottom + 34, 2)}
