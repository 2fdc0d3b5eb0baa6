"""The engine's scan finds exactly the pairs the reference scan finds, decided the same.

The DuckDB engine generates candidate pairs by a join, drops the pairs no rule could
fire on by feature bounds, and judges the rest with the entry path's judge. Each of
those steps could lose a pair (a bound below the real feature, a block looked in that
the entry check skips, a direction of a generic-key holder). So random books - Chinese
and Latin company names, both scripts of contact names, several phones and e-mails per
record, sibling mailboxes, typos, merges and splits, a switchboard phone turning
generic, refused duplicates filed as aliases, tiny block limits that make blocks
oversized - are scanned both ways and must agree pair for pair, feature for feature,
and on the number of pairs no rule fired on.
"""

from __future__ import annotations

from contextlib import suppress
from itertools import count
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.duplicate_scan.scan import engine_scan
from crmcore import CrmApplication, CrmError
from crmcore.clock import ManualClock
from crmcore.config import CrmConfig, DedupMode, IdentityConfig
from crmcore.identity.duplicate_scan import scan_duplicates
from projections.identity_index import IDENTITY_VIEW
from projections.identity_queries import SqlCandidateSource
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import START
from tests.unit.test_identity_view import _apply, pick

COMPANIES = (
    "北京华信鼎盛科技有限公司",
    "华信鼎盛科技（北京）股份有限公司",
    "華信鼎盛科技有限公司",
    "北京华新鼎盛科技有限公司",  # a homophone
    "北京华信鼎成科技有限公司",  # a typo
    "华信鼎盛物流有限公司",  # another trade
    "上海华信鼎盛科技有限公司",  # another region
    "华信鼎盛科技有限公司北京分公司",  # a branch
    "华星科技有限公司",
    "华信科技有限公司",
    "Jade River Trading Co., Ltd.",
    "JADE RIVER TRADING LIMITED",
    "Jade Rivet Trading Limited",  # one letter off
    "River Jade Trading Limited",  # the same words in another order
    "Jade Mountain Trading Limited",
)
CONTACTS = ("王伟", "王玮", "王先生", "Wang Wei", "Wei Wang", "李娜", "John Smith", "Jon Smith")
PHONES = ("138 0013 8000", "138 0013 8001", "13900139000", "010-6552 1234", "021-5555 0000")
EMAILS = (
    "wang.wei@acme.com",
    "wang.wei@acme.cn",
    "info@acme.com",
    "info@acme.cn",
    "li.na@huaxin.com.cn",
    "li.na@huaxin.com",
)
records = st.fixed_dictionaries(
    {
        "company_name": st.one_of(st.none(), st.sampled_from(COMPANIES)),
        "contact_name": st.one_of(st.none(), st.sampled_from(CONTACTS)),
        "phones": st.lists(st.sampled_from(PHONES), max_size=2, unique=True),
        "emails": st.lists(st.sampled_from(EMAILS), max_size=2, unique=True),
        "region": st.one_of(st.none(), st.sampled_from(("北京", "上海", "深圳"))),
    }
).filter(lambda r: r["company_name"] or r["contact_name"] or r["phones"] or r["emails"])
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"),
            st.lists(records, min_size=1, max_size=4),
            st.sampled_from([DedupMode.WARN, DedupMode.WARN, DedupMode.BLOCK]),
        ),
        st.tuples(st.just("merge"), pick, pick),
        st.tuples(st.just("split"), pick, st.none()),
        st.tuples(st.just("switchboard"), st.none(), st.none()),
    ),
    max_size=8,
)
books = st.tuples(st.lists(records, min_size=2, max_size=10), operations).map(
    lambda h: [("register", h[0], DedupMode.WARN), *h[1]]
)


def _app(max_block_size: int) -> tuple[CrmApplication, Any]:
    engine = open_read_models("sqlite://")
    serial = count(1)

    def candidates(app: CrmApplication) -> SqlCandidateSource:
        return SqlCandidateSource(app, engine, max_block_size, dispose=False)

    # Below the setting's floor of 10 (model_copy does not validate): a handful of
    # records then makes oversized blocks, which both scans must skip alike - except an
    # exact key's, looked in whatever its size.
    identity = IdentityConfig().model_copy(update={"max_block_size": max_block_size})
    config = CrmConfig().model_copy(update={"identity": identity})
    app = CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(START),
        config=config,
        new_id=lambda: UUID(int=next(serial), version=4),
        candidates=candidates,
    )
    return app, engine


def filed_book(
    ops: list[tuple[str, Any, Any]], max_block_size: int
) -> tuple[CrmApplication, Any]:
    """The history ``ops`` played (refusals included) and filed into the identity view."""
    app, engine = _app(max_block_size)
    ids: list[UUID] = []
    for kind, target, value in ops:
        with suppress(CrmError):  # refusals are part of the history
            _apply(app, ids, kind, target, value)
    ProjectionRunner(app, engine, [IDENTITY_VIEW]).catch_up()
    return app, engine


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books, st.sampled_from([2, 3, 500]), st.sampled_from([1, 7, 10**6]))
def test_the_engine_finds_what_the_entry_by_entry_scan_finds(
    ops: list[tuple[str, Any, Any]], max_block_size: int, part_size: int
) -> None:
    app, engine = filed_book(ops, max_block_size)

    expected = scan_duplicates(app.identity)
    found = engine_scan(engine, part_size=part_size)(app.identity)  # parts of ~N pairs

    assert found.pairs == expected.pairs
    assert found.ignored == expected.ignored
    assert found.engine == "duckdb"
    app.close()
    engine.dispose()


def test_a_book_of_look_alikes_gives_pairs_of_every_kind() -> None:
    """The example the property test cannot fail to cover: each rule kind fires once."""
    app, engine = _app(500)
    rows = [
        {"company_name": COMPANIES[0], "contact_name": "王伟", "phones": [PHONES[0]]},
        {"company_name": COMPANIES[1], "contact_name": "李娜"},
        {"company_name": COMPANIES[3], "emails": [EMAILS[4]]},
        {"company_name": "Acme Robotics Limited", "emails": [EMAILS[5]]},
        {"contact_name": "王伟", "phones": [PHONES[1]]},
        {"company_name": COMPANIES[4], "contact_name": "王伟"},  # a typo, same person
        {"company_name": "北京华星科技有限公司", "contact_name": "张敏", "region": "北京"},
        {"company_name": "北京华信科技有限公司", "contact_name": "张敏", "region": "北京"},
        {"company_name": COMPANIES[10]},
        {"company_name": COMPANIES[12]},
    ]
    _apply(app, [], "register", rows, DedupMode.WARN)
    ProjectionRunner(app, engine, [IDENTITY_VIEW]).catch_up()
    found = engine_scan(engine)(app.identity)
    rules = {pair.rule for pair in found.pairs}
    # One pair per kind of evidence: equal cores, a homophone, a sibling mailbox, a phone
    # one digit off, a typo bounded by edit distance, a short brand one character off,
    # two Latin names one letter apart.
    assert {"same_company", "likely_same_company", "sibling_email",
            "near_phone_same_contact", "similar_company_same_contact",
            "brand_typo_same_contact_same_region"} <= rules, found.pairs
    assert found.pairs == scan_duplicates(app.identity).pairs
    assert list(found.stages) == [
        "read the identity view", "size the blocks", "pair and screen", "judge"]
    app.close()
    engine.dispose()
