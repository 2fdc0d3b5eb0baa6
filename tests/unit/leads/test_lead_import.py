"""The lead import: every row a capture, each reported; the same file again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.lead_importing import import_lead_rows
from crmcore import CrmApplication
from crmcore.domain.lead import Lead
from tests.conftest import all_events, event_count

WRITTEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ROWS = [
    {"external_id": "L1", "company_name": "北京星河数据科技有限公司", "phone": "13800138000",
     "channel": "web", "device_id": "fp-1", "at": "2026-02-20T10:00:00"},
    {"external_id": "L2", "contact_name": "张伟", "email": "zw@xinghe.cn", "channel": "ad",
     "device_id": "fp-1", "source_tag": "双11;retarget"},
    {"external_id": "L3", "contact_name": "李娜", "phone": "12", "channel": "phone"},
    {"external_id": "L4", "contact_name": "王芳", "phone": "13900139000", "channel": "fax"},
    {"external_id": "L5", "contact_name": "陈静", "phone": "13700137000",
     "at": "next tuesday"},
    {"external_id": "L6", "contact_name": "赵磊", "phone": "13600136000"},
]


def run(app: CrmApplication) -> list[tuple[str, str, str | None]]:
    rows = import_lead_rows(app, ROWS, actor="importer", phone_region="CN",
                            zone=ZoneInfo("Asia/Shanghai"), written_at=WRITTEN)
    return [(r.external_id or "", r.outcome, r.field) for r in rows]


def test_each_row_is_captured_or_reported_naming_its_column(app: CrmApplication) -> None:
    assert run(app) == [
        ("L1", "created", None),
        ("L2", "joined_lead", None),
        ("L3", "invalid", "phone"),
        ("L4", "invalid", "channel"),
        ("L5", "invalid", "at"),
        ("L6", "created", None),
    ]
    captured = [e for e in all_events(app) if isinstance(e, Lead.Captured)]
    assert [e.touch["channel"] for e in captured] == ["web", "import"]
    assert captured[0].occurred_at == datetime(2026, 2, 20, 2, 0, tzinfo=UTC)
    assert captured[1].occurred_at == WRITTEN, "a row without `at` arrived when the file was"


def test_running_the_same_file_again_records_nothing(app: CrmApplication) -> None:
    run(app)
    before = event_count(app)
    again = run(app)
    assert [outcome for _, outcome, _ in again] == [
        "unchanged", "unchanged", "invalid", "invalid", "invalid", "unchanged"
    ]
    assert event_count(app) == before
