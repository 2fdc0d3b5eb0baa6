"""Personal data nowhere in clear, on SQLite and PostgreSQL: canary values planted on
customers, a merged record, a refused record and a lead are looked for in every column
of every table (and in SQLite's files, and a pg_dump) in every form the code writes -
none is found before an erasure, and after ``erase`` returns none is readable, with no
catch-up in between."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from adapters.bootstrap import application, caught_up_views, open_views
from adapters.settings import Settings
from crmcore import ManualClock, MergeCustomers, RecordFollowUp, RegisterCustomer, parse_command
from crmcore.audit.queries import OwnerAtQuery
from crmcore.customers.erasure import EraseCustomer
from crmcore.domain.ownership import ownership_id
from crmcore.errors import DuplicateCustomer
from crmcore.leads.commands import CaptureLead
from crmcore.leads.erasure import EraseLead
from crmcore.personal_data import ERASED
from projections.duplicate_candidates import DUPLICATES_VIEW, read_report, refresh
from tests.conftest import START, hire
from tests.integration.test_personal_data import db, new_key, settings

__all__ = ["db"]  # the store fixture (SQLite file or PostgreSQL database)

# Each canary is a value and every form the code could write it in: a phone with and
# without its country code, an e-mail lower-cased and its mailbox alone, a name as typed
# and as its pinyin.
CUSTOMER = {
    "contact_name": "欧阳娜娜",
    "phone": "137 1234 9876",
    "email": "Canary.Ouyang@Example.cn",
    "wechat": "wx_canary_ouyang",
}
MERGED = {"contact_name": "司徒雷登", "phone": "15911112222", "email": "situ.canary@example.net"}
REFUSED = {"contact_name": "皇甫嵩嵩", "email": "huangfu.canary@example.org"}
LEAD = {
    "contact_name": "诸葛青青",
    "phone": "18655554444",
    "email": "zhuge.canary@example.com",
    "wechat": "wx_canary_zhuge",
    "device_id": "dev-canary-9f3e1",
    "session_id": "sess-canary-1c2d7",
}
FORMS = {
    "customer": ["欧阳娜娜", "ouyangnana", "13712349876", "canary.ouyang@example.cn",
                 "canary.ouyang", "wx_canary_ouyang"],
    "merged": ["司徒雷登", "situleideng", "15911112222", "situ.canary"],
    "refused": ["皇甫嵩嵩", "huangfusongsong", "huangfu.canary"],
    "people": ["上官婉儿", "shangguanwaner", "wan.er@canary"],
    "lead": ["诸葛青青", "zhugeqingqing", "18655554444", "zhuge.canary", "wx_canary_zhuge",
             "dev-canary-9f3e1", "sess-canary-1c2d7"],
}
EVERY_FORM = [form for forms in FORMS.values() for form in forms]


def found_in_tables(config: Settings) -> dict[str, list[str]]:
    """Canary forms seen in any column of any table: {form: [table, ...]}."""
    url = config.db if "://" in config.db else f"sqlite:///{config.db}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    found: dict[str, list[str]] = {}
    try:
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                    text = " ".join(
                        bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview)
                        else str(v)
                        for v in row
                    ).lower()
                    for form in EVERY_FORM:
                        if form.lower() in text:
                            found.setdefault(form, []).append(table)
    finally:
        engine.dispose()
    return found


def found_in_files(config: Settings, tmp_path: Path) -> dict[str, str]:
    """Canary forms in the bytes of the database as a backup would copy it: SQLite's
    file and write-ahead log after a checkpoint, or PostgreSQL's pg_dump."""
    if "://" in config.db:
        dump = subprocess.run(
            [str(_pg_dump()), "--no-owner", f"--dbname={config.db}"],
            check=True, capture_output=True, timeout=120,
        ).stdout
        blobs = {"pg_dump": dump}
    else:
        with sqlite3.connect(config.db) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        blobs = {}
        for suffix in ("", "-wal"):
            source = Path(config.db + suffix)
            if source.exists():
                copy = tmp_path / f"copy{suffix or '.db'}"
                shutil.copyfile(source, copy)
                blobs[source.name] = copy.read_bytes()
    return {
        form: name
        for form in EVERY_FORM
        for name, blob in blobs.items()
        if form.encode() in blob or form.lower().encode() in blob.lower()
    }


def _pg_dump() -> Path:
    from tests.postgres_server import binaries

    found = binaries()
    assert found is not None
    return found / "pg_dump"


def register(app: Any, **fields: Any) -> Any:
    return app.register_customer(parse_command(RegisterCustomer, {"actor": "li", **fields}))


def every_view_current(config: Settings, app: Any) -> None:
    """Every view caught up, and the duplicate report refreshed (it keeps names)."""
    with caught_up_views(config):
        pass
    runner = open_views(config, app, DUPLICATES_VIEW)
    try:
        runner.catch_up()
        refresh(app.identity, runner.engine, full=True)
    finally:
        runner.engine.dispose()


def test_no_table_holds_personal_data_in_clear_and_an_erasure_leaves_none_readable(
    db: str, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    config = settings(db, new_key())
    with application(config, clock) as app:
        hire(app, "li")
        cid = register(app, company_name="北京星河数据科技有限公司", **CUSTOMER)
        merged = register(app, company_name="星河数据(北京)有限公司", **MERGED)
        app.merge_customers(parse_command(MergeCustomers, {
            "actor": "li", "survivor_id": cid, "absorbed_id": merged, "reason": "one company"}))
        # A rep's note about the person is free text that carries them.
        app.record_follow_up(parse_command(RecordFollowUp, {
            "actor": "li", "customer_id": cid, "rep": "li", "channel": "phone",
            "content": "约欧阳娜娜下周演示, 手机13712349876",
            "outcome": "她说可发邮件到canary.ouyang@example.cn",
            "next_contact_at": clock.now() + timedelta(days=3)}))
        with pytest.raises(DuplicateCustomer):  # filed as an alias of the customer
            register(app, company_name="北京星河数据科技有限公司", **REFUSED)
        # Two people-only customers alike enough for the duplicate report (names kept).
        person = register(app, contact_name="上官婉儿", email="wan.er@canary-mail.cn")
        register(app, contact_name="上官婉儿", email="wan.er@canary-mail.com")
        lead = app.capture_lead(parse_command(CaptureLead, {
            "actor": "forms", "channel": "web", **LEAD})).lead_id
        every_view_current(config, app)
        runner = open_views(config, app, DUPLICATES_VIEW)
        report = read_report(runner.engine, personal=runner.personal)
        runner.engine.dispose()
    assert {row.name_a for row in report.rows} & {"上官婉儿"}, report.rows  # opened again
    assert found_in_tables(config) == {}
    assert found_in_files(config, tmp_path) == {}

    clock.advance(hours=1)
    with application(config, clock) as app:
        app.erase_customer(parse_command(
            EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "PIPL 2026-117"}))
        app.erase_lead(parse_command(
            EraseLead, {"actor": "dpo", "lead_id": lead, "reason": "PIPL 2026-118"}))
        app.erase_customer(parse_command(
            EraseCustomer, {"actor": "dpo", "customer_id": person, "reason": "PIPL 2026-119"}))
        runner = open_views(config, app, DUPLICATES_VIEW)
        left = read_report(runner.engine, personal=runner.personal)
        runner.engine.dispose()
    # The erased person's pair left the report with the erasure, not at the next refresh.
    assert str(person) not in {c for row in left.rows for c in (row.customer_a, row.customer_b)}
    assert report.rows != left.rows
    # Right after the commands answer, before anything else runs: nothing to read. The
    # keys are gone, so the sealed copies cannot be opened even with the master key.
    assert found_in_tables(config) == {}
    assert found_in_files(config, tmp_path) == {}
    with application(config, clock) as app:
        assert app.owner_at(OwnerAtQuery(customer_id=cid)).owner == "li"
        again = register(app, company_name="深圳前海新创科技有限公司", phone=CUSTOMER["phone"])
        assert again != cid  # the phone is free: the same person is a new customer
        shown = app.get_customer(cid)
        assert (shown.contact_name, shown.phones, shown.emails) == (None, (), ())
        noted = [e for e in app.history(ownership_id(cid)) if hasattr(e, "content")]
        assert [(e.content, e.outcome) for e in noted] == [(ERASED, ERASED)]
