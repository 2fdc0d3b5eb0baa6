"""Every index reads a crowded typo sound the same way (issue 34: candidates that do not
grow with the book).

The persisted identity view (SQLite here, both stores in ``test_identity_view``) and the
in-memory index decide by one rule (``crmcore.identity.blocking.crowded``) whether a
typo sound is read in the record's provinces or through the contact's surname block.
Random books of look-alike names, contacts and regions, read with small
``typo_block_size`` values so most sounds are crowded, and small block limits so some
blocks are oversized: both indexes give every probe the same candidates.
"""

from __future__ import annotations

from itertools import count
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CrmApplication
from crmcore.clock import ManualClock
from crmcore.config import CrmConfig, DedupMode, IdentityConfig
from crmcore.identity.memory_index import MemoryIndex
from crmcore.identity.profile import build_profile
from projections.identity_index import IDENTITY_VIEW
from projections.identity_queries import SqlCandidateSource
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import START, registration

BRANDS = ("华", "鑫", "淼", "森", "宏", "达")
TRADES = ("科技", "贸易")
REGIONS = (None, "北京", "上海", "深圳")
CONTACTS = (None, "王芳", "汪明", "李娜", "章伟", "张三")

names = st.builds(
    lambda brand, trade, region: ((region or "") + brand + trade + "有限公司", region),
    st.sampled_from(BRANDS), st.sampled_from(TRADES), st.sampled_from(REGIONS),
)
records = st.tuples(names, st.sampled_from(CONTACTS))


def _book(rows: list[tuple[tuple[str, str | None], str | None]]) -> tuple[CrmApplication, Any]:
    serial = count(1)
    engine = open_read_models("sqlite://")
    app = CrmApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=ManualClock(START),
        config=CrmConfig(),
        new_id=lambda: UUID(int=next(serial), version=4),
    )
    commands = [
        registration(company_name=name, contact_name=contact, region=region)
        for (name, region), contact in rows
    ]
    app.register_customers(commands, mode=DedupMode.WARN)
    ProjectionRunner(app, engine, [IDENTITY_VIEW]).catch_up()
    return app, engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(records, min_size=1, max_size=25),
    st.lists(records, min_size=1, max_size=5),
    st.sampled_from([1, 2, 3, IdentityConfig().typo_block_size]),
    st.sampled_from([2, 4, 300]),
)
def test_the_view_and_the_memory_index_read_crowded_sounds_alike(
    book: list[Any], probes: list[Any], typo_block_size: int, max_block_size: int
) -> None:
    app, engine = _book(book)
    view = SqlCandidateSource(
        app, engine, max_block_size, dispose=False, typo_block_size=typo_block_size
    )
    memory = MemoryIndex(max_block_size, 2, app, typo_block_size=typo_block_size)
    memory.catch_up()
    for (name, region), contact in probes:
        probe = build_profile(company_name=name, contact_name=contact, region=region, keys=[])
        persisted = {entry.entry_id: entry for entry in view.candidates(probe)}
        assert set(persisted) == {entry.entry_id for entry in memory.candidates(probe)}
    view.close()
    app.close()
    engine.dispose()
