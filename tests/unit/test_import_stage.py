"""An import's staging workers: what they hand back is what this process would build.

The workers are real interpreters (``python -m adapters.import_stage``), started once
for the module: a row's validation and profile must come back equal - the profile
through the codec's round trip - or the import's decisions would differ from the
in-process path's. A worker killed mid-import costs nothing but speed.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adapters.import_stage as stage
from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.import_stage import Chunk, StagedRow, stage_chunk, staged_chunks, staging_workers
from adapters.importing import ImportedRow, import_rows
from adapters.settings import Settings
from crmcore.identity.filing import forget_profiles, record_profile

_NAMES = [
    "北京字节跳动科技有限公司", "深圳市騰訊計算機系統有限公司", "腾讯", "Acme Trading Co., Ltd.",
    "杭州清言网络股份有限公司(上海分公司)", "", "张三", "  ", "=cmd|' /C calc'!A0",
]
_PHONES = ["13800138000", "138 0013 800", "+852 9123 4567", "010-6552 9988转123", "", "abc",
           "13800138000;13900139000"]
_EMAILS = ["a@b.cn", "Sales@Example.COM", "not-an-email", "", "info@qq.com;x@y.cn"]
_FIELDS = st.fixed_dictionaries(
    {
        "company_name": st.sampled_from(_NAMES),
        "contact_name": st.sampled_from(["钱多多", "", "Ann Lee", "x" * 60]),
        "phone": st.sampled_from(_PHONES),
        "email": st.sampled_from(_EMAILS),
        "uscc": st.sampled_from(["", "91350100M000100Y43", "123"]),
        "region": st.sampled_from(["", "深圳", "廣州", "Shanghai"]),
        "external_id": st.sampled_from(["", "LEGACY-1", " x "]),
    }
)


@pytest.fixture(scope="module")
def worker() -> Iterator[stage._Worker]:
    started = stage._Worker()
    yield started
    started.stop()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_FIELDS, min_size=1, max_size=12))
def test_a_worker_hands_back_what_this_process_builds(
    worker: stage._Worker, rows: list[dict[str, str]]
) -> None:
    chunk: Chunk = list(enumerate(rows, start=1))
    here = stage_chunk(chunk, "importer", "CN")
    forget_profiles()
    expected = {row.number: record_profile(row.command.record()) for row in here if row.command}
    forget_profiles()
    assert worker.send(chunk, "importer", "CN")
    there = worker.receive()
    assert there == here  # the same commands, the same invalid fields and reasons
    for row in there:
        if row.command is not None:
            handed_in = record_profile(row.command.record())  # the worker's, remembered
            assert handed_in == expected[row.number]
            assert handed_in is not expected[row.number]


def _chunks(count: int) -> list[Chunk]:
    data = generate(60, seed=3)
    rows = [record.fields for record in data.rows]
    numbered: list[tuple[int, Any]] = list(enumerate(rows, start=1))
    size = -(-len(numbered) // count)
    return [numbered[i : i + size] for i in range(0, len(numbered), size)]


def test_a_killed_worker_costs_nothing_but_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[stage._Worker] = []
    original = stage._Worker.__init__

    def recording(self: stage._Worker) -> None:
        original(self)
        started.append(self)

    monkeypatch.setattr(stage._Worker, "__init__", recording)
    chunks = _chunks(6)
    got: list[list[StagedRow]] = []
    for staged in staged_chunks(chunks, actor="a", phone_region="CN", workers=1):
        got.append(staged)
        if len(got) == 2:  # the worker holds the third chunk now
            os.kill(started[0]._process.pid, signal.SIGKILL)
    assert got == [stage_chunk(chunk, "a", "CN") for chunk in chunks]
    assert started[0]._process.poll() is not None


def test_workers_are_asked_for_only_when_they_pay() -> None:
    assert staging_workers(500, None) == 0  # a worker's start is not won back
    assert staging_workers(500, 2) == 2  # the setting decides
    assert staging_workers(None, 0) == 0
    expected = max(0, min(stage.MAX_WORKERS, (os.cpu_count() or 1) - 1))
    assert staging_workers(1_000_000, None) == expected


def _as_compared(rows: list[ImportedRow]) -> list[tuple[Any, ...]]:
    """The results with customer ids replaced by the row that created the customer
    (two imports into two books give the same customers different ids)."""
    first_row: dict[UUID, int] = {}
    for row in rows:
        if row.outcome in ("created", "warned") and row.customer_id is not None:
            first_row[row.customer_id] = row.row
    compared = []
    for row in rows:
        reason = row.reason
        for customer_id, number in first_row.items():
            reason = reason.replace(str(customer_id), f"row {number}")
        compared.append((
            row.row, row.external_id, row.outcome, row.rule, row.field, reason,
            first_row.get(row.customer_id) if row.customer_id else None,
            tuple(first_row.get(c) for c in row.matched_customer_ids),
        ))
    return compared


def test_an_import_staged_by_a_worker_decides_every_row_as_one_process_does(
    tmp_path: Path,
) -> None:
    data = generate(400, seed=11)  # duplicates inside the file, invalid rows
    rows = [record.fields for record in data.rows]
    results = {}
    for workers in (0, 1):
        settings_ = Settings(db=str(tmp_path / f"w{workers}.db"))
        with open_application(settings_) as app:
            results[workers] = list(import_rows(
                app, rows, actor="importer", phone_region="CN", batch_size=60,
                workers=workers,
            ))
    outcomes = Counter(row.outcome for row in results[0])
    assert outcomes["invalid"]
    assert outcomes["created"]
    assert outcomes["blocked"] + outcomes["warned"]
    assert _as_compared(results[1]) == _as_compared(results[0])


def test_no_worker_to_be_had_stages_every_chunk_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(stage.subprocess, "Popen", refused)
    chunks = _chunks(3)
    got = list(staged_chunks(chunks, actor="a", phone_region="CN", workers=2))
    assert got == [stage_chunk(chunk, "a", "CN") for chunk in chunks]


def test_an_import_collects_cycles_less_often_and_puts_the_setting_back(
    tmp_path: Path,
) -> None:
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    rows = [{"company_name": f"测试{n}号贸易有限公司", "phone": f"1380013{n:04d}"}
            for n in range(3)]
    with open_application(Settings(db=str(tmp_path / "gc.db"))) as app:
        for _ in import_rows(app, rows, actor="a", phone_region="CN", batch_size=2):
            seen.append(gc.get_threshold())
    assert seen
    assert all(threshold[0] >= 50_000 for threshold in seen)
    assert gc.get_threshold() == before
