"""The fuzzy identity pipeline: one table row per variation kind, and its invariants."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CrmApplication
from crmcore.config import CrmConfig, DedupMode, EntryPath, IdentityConfig
from crmcore.identity import normalise_key
from crmcore.identity.candidates import IndexEntry
from crmcore.identity.check import IdentityChecker
from crmcore.identity.company import parse_company_name
from crmcore.identity.compare import compare
from crmcore.identity.memory_index import MemoryIndex
from crmcore.identity.profile import MatchProfile, build_profile
from crmcore.identity.regions import regions_conflict
from crmcore.identity.score import pair_score
from tests.conftest import registration

WEIGHTS = CrmConfig().identity.weights


def profile(company: str | None = None, contact: str | None = None,
            phones: tuple[str, ...] = (), emails: tuple[str, ...] = (),
            region: str | None = None) -> MatchProfile:
    keys = [normalise_key("phone", p) for p in phones] + [normalise_key("email", e)
                                                          for e in emails]
    return build_profile(company_name=company, contact_name=contact, keys=keys, region=region)


def decide(existing: MatchProfile, new: MatchProfile,
           config: IdentityConfig | None = None) -> tuple[str, str | None]:
    config = config or CrmConfig().identity
    index = MemoryIndex(config.max_block_size, config.group_brand_chars)
    cid = uuid4()
    index.put(IndexEntry(cid, cid, existing))
    checker = IdentityChecker(config, index)
    decision = checker.check(new, {}, DedupMode.BLOCK)
    return decision.outcome, decision.rule


@pytest.mark.parametrize(("existing", "new", "expected"), [
    pytest.param(profile("北京市某某科技股份有限公司"), profile("北京某某科技"),
                 ("blocked", "same_company"), id="suffix-and-region"),
    pytest.param(profile("某某科技（北京）有限公司"), profile("北京某某科技有限公司"),
                 ("blocked", "same_company"), id="bracketed-region"),
    pytest.param(profile("ＡＣＭＥ　Co., Ltd."), profile("Acme Company Limited"),
                 ("blocked", "same_company"), id="english-width-case-legal-form"),
    pytest.param(profile("Smith & Sons Ltd"), profile("Smith and Sons Limited"),
                 ("blocked", "same_company"), id="ampersand"),
    pytest.param(profile("廣州華信科技有限公司"), profile("广州华信科技有限公司"),
                 ("blocked", "same_company"), id="traditional-script"),
    pytest.param(profile("北京华信科技有限公司"), profile("北京华新科技有限公司"),
                 ("warned", "likely_same_company"), id="homophone-warns-not-blocks"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("北京华星科技有限公司", "张伟"),
                 ("warned", "brand_typo_same_contact_same_region"), id="typo-same-contact"),
    pytest.param(profile("北京华信鼎盛科技有限公司", "张伟"),
                 profile("华信鼎成科技有限公司", "张伟"),
                 ("warned", "similar_company_same_contact"), id="typo-city-left-out-same-contact"),
    pytest.param(profile("华信鼎盛科技有限公司", "张伟"),
                 profile("华信鼎成科技有限公司", "张伟", region="深圳"),
                 ("warned", "similar_company_same_contact"), id="typo-region-on-one-side-only"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("华星科技有限公司", "张伟"),
                 ("warned", "brand_typo_same_contact_region_unsaid"),
                 id="brand-typo-city-left-out"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("华星物流有限公司", "张伟"),
                 ("created", None), id="brand-typo-city-left-out-other-trade"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("上海华星科技有限公司", "张伟"),
                 ("created", None), id="brand-typo-other-city"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("北京华星科技有限公司", "李娜"),
                 ("created", None), id="similar-name-same-city-other-person"),
    pytest.param(profile("北京华信科技有限公司", "张伟"), profile("上海天宇贸易有限公司", "张伟"),
                 ("created", None), id="same-person-other-company"),
    pytest.param(profile(contact="王芳", phones=("13912345678",)),
                 profile(contact="王芳", phones=("13912345679",)),
                 ("warned", "near_phone_same_contact"), id="phone-one-digit-off"),
    pytest.param(profile(contact="Li Lei", emails=("li.lei@acme.com",)),
                 profile(contact="李雷", emails=("li.lei@acme.cn",)),
                 ("warned", "sibling_email"), id="sibling-domain"),
    pytest.param(profile(contact="Ann", emails=("info@acme.com",)),
                 profile(contact="Bob", emails=("info@acme.cn",)),
                 ("created", None), id="role-mailbox-is-no-evidence"),
    pytest.param(profile("Jade River Software Inc."), profile("Jade Silver Software Inc."),
                 ("created", None), id="latin-names-compare-by-word"),
    pytest.param(profile("北京某某科技"), profile("上海某某科技"),
                 ("created", None), id="same-name-other-city-alone-is-not-enough"),
    pytest.param(profile("北京华信科技有限公司"), profile("华信科技有限公司", region="上海"),
                 ("created", None), id="other-city-in-the-region-column-only"),
    pytest.param(profile("北京华信科技有限公司", "张伟"),
                 profile("华信科技（上海）有限公司", "张强", region="上海"),
                 ("created", None), id="other-city-a-surname-is-no-evidence"),
    pytest.param(profile("北京华信科技有限公司", "张伟"),
                 profile("华信科技（上海）有限公司", "张伟", region="上海"),
                 ("warned", "similar_company_same_contact"), id="other-city-same-contact-warns"),
    pytest.param(profile("北京华信科技有限公司", "张伟"),
                 profile("北京华信科技股份有限公司", "张强"),
                 ("blocked", "same_company"), id="same-city-a-new-contact-still-blocks"),
    pytest.param(profile("深圳华信科技有限公司"), profile("华信科技有限公司", region="广东"),
                 ("blocked", "same_company"), id="city-inside-the-province-is-no-conflict"),
    pytest.param(profile("北京华信科技有限公司"), profile("华信科技有限公司", region="海淀区"),
                 ("blocked", "same_company"), id="district-inside-the-city-is-no-conflict"),
    pytest.param(profile("北京华信科技有限公司"), profile("北京华信物流有限公司"),
                 ("created", None), id="same-brand-other-trade-word"),
])
def test_each_variation_kind_gets_its_decision(
    existing: MatchProfile, new: MatchProfile, expected: tuple[str, str | None],
) -> None:
    assert decide(existing, new) == expected


@pytest.mark.parametrize(("a", "b", "conflict"), [
    ("北京市", "北京市", False),
    ("北京市", "上海市", True),
    ("深圳市", "广东省", False),
    ("海淀区", "北京市", False),
    ("朝阳区", "北京市", False),  # 朝阳区 is also in 长春: one of its places will do
    ("朝阳区", "上海市", True),
    ("苏州市", "南京市", True),
    ("苏州市", "江苏省", False),
])
def test_regions_conflict_only_when_neither_holds_the_other(a: str, b: str, conflict: bool) -> None:
    assert regions_conflict(a, b) is conflict


def test_no_factor_setting_turns_a_region_conflict_into_a_block() -> None:
    """The veto is part of the rule: even with the region factor switched off (1.0), the
    same name registered in two provinces is not blocked."""
    lenient = CrmConfig().identity.model_copy(update={"region_conflict_factor": 1.0})
    existing, new = profile("北京华信科技有限公司"), profile("华信科技有限公司", region="上海")
    assert decide(existing, new, lenient) == ("warned", "likely_same_company")


def test_a_company_name_keeps_region_legal_form_and_branch_apart_from_its_core() -> None:
    name = parse_company_name("上海某某科技有限公司北京分公司")
    assert (name.core, name.legal_form, name.branch) == ("某某科技", "有限公司", "北京分公司")
    assert parse_company_name("广东省深圳市某某电子有限公司").region == "广东省"
    assert parse_company_name("朝阳科技有限公司").core == "朝阳科技"  # not "科技 in 朝阳"


NAMES = st.sampled_from(["北京华信科技有限公司", "華信科技", "上海天宇贸易", "Acme Co., Ltd.",
                         "Acme Trading", "华新科技", "深圳市华信科技股份有限公司", None])
PEOPLE = st.sampled_from(["张伟", "張偉", "章伟", "Zhang Wei", "Wei Zhang", "王先生", "李娜", None])
PHONES = st.sampled_from([(), ("13800138000",), ("13800138001",), ("02165521234",)])
EMAILS = st.sampled_from([(), ("zhang.wei@acme.com",), ("zhang.wei@acme.cn",), ("info@x.cn",)])
PROFILES = st.builds(profile, NAMES, PEOPLE, PHONES, EMAILS)


@given(PROFILES, PROFILES)
def test_comparison_and_score_are_symmetric(a: MatchProfile, b: MatchProfile) -> None:
    assert compare(a, b, WEIGHTS) == compare(b, a, WEIGHTS)
    assert pair_score(compare(a, b, WEIGHTS)) == pair_score(compare(b, a, WEIGHTS))


FORMATS = st.sampled_from([
    lambda s: s, str.upper, lambda s: f"  {s} ", lambda s: s.replace(" ", "　"),
])


@given(NAMES.filter(bool), FORMATS, PHONES)
def test_a_record_always_matches_its_reformatted_copy(
    name: str, reformat: object, phones: tuple[str, ...],
) -> None:
    assert callable(reformat)
    original = profile(name, phones=phones)
    copy = profile(reformat(name), phones=tuple(f"+86 {p}" for p in phones))
    assert decide(original, copy)[0] == "blocked"


ROWS = [
    {"company_name": "北京市华信科技股份有限公司", "contact_name": "张伟"},
    {"company_name": "华信科技（北京）有限公司"},
    {"company_name": "北京華信科技", "phone": "13800138000"},
    {"contact_name": "张伟", "phone": "13800138001"},
    {"company_name": "上海天宇贸易有限公司", "email": "li.na@tianyu.com"},
    {"contact_name": "李娜", "email": "li.na@tianyu.cn"},
    {"company_name": "Acme Co., Ltd."},
    {"company_name": "ACME COMPANY LIMITED", "phone": "13900001111"},
    {"company_name": "深圳市星辰电子有限公司"},
    # A chain: the second resembles the first (name) and the third (person and phone),
    # the first and third share nothing - a refused record must still link them.
    {"company_name": "北京鼎盛物流有限公司"},
    {"company_name": "北京鼎盛物流", "contact_name": "赵敏", "phone": "13700001234"},
    {"contact_name": "赵敏", "phone": "13700001235"},
]


def clusters(order: list[int], mode: DedupMode) -> set[frozenset[int]]:
    """Duplicate clusters (by input row) after registering ROWS in ``order``."""
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    commands = [registration(**ROWS[i]) for i in order]
    results = app.register_customers(commands, entry_path=EntryPath.IMPORT, mode=mode)
    row_of = {r.customer_id: order[r.position] for r in results if r.outcome == "created"}
    row_of |= {r.customer_id: order[r.position] for r in results if r.outcome == "warned"}
    parent = {i: i for i in range(len(ROWS))}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for r in results:
        for matched in r.decision.matched_customer_ids:
            parent[root(order[r.position])] = root(row_of[matched])
    groups: dict[int, set[int]] = {}
    for i in range(len(ROWS)):
        groups.setdefault(root(i), set()).add(i)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(ROWS)))), st.sampled_from(list(DedupMode)))
def test_the_same_records_in_another_order_give_the_same_clusters(
    order: list[int], mode: DedupMode,
) -> None:
    assert clusters(order, mode) == clusters(list(range(len(ROWS))), mode)
