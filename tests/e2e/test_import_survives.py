"""``crm import customers`` survives any row: a failing row is reported, not a traceback,
and a stopped import leaves a results line for every row it saved.

The failing row is made by the real store: a trigger (SQLite's, or PostgreSQL's in
PL/pgSQL) refuses to store any event that carries the row's external id, as a full disk
or a broken constraint would.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from adapters.demo_data import generate
from adapters.files.customers_csv import CUSTOMER_COLUMNS
from crmcore import CrmApplication
from crmcore.domain import Customer
from tests.conftest import all_events
from tests.e2e.test_cli import CRM, STORE_URL, as_json, crm, crm_env, store_env, views_url
from tests.e2e.test_import_export import read_csv

pytestmark = pytest.mark.usefixtures("each_store")


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CUSTOMER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _store_refusing(db: Path, marker: str) -> None:
    """An event store whose table refuses every event mentioning ``marker``."""
    if STORE_URL.get() is not None:
        app = CrmApplication(store_env(db))  # creates the tables
        table = app.recorder.events_table_name  # type: ignore[attr-defined]
        app.close()
        engine = create_engine(views_url(db))
        with engine.begin() as connection:
            connection.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF convert_from(NEW.state, 'UTF8') LIKE '%{marker}%' THEN "
                "RAISE EXCEPTION 'refused by the store'; END IF; RETURN NEW; END $$"
            ))
            connection.execute(text(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            ))
        engine.dispose()
        return
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON stored_events "
            f"WHEN CAST(NEW.state AS TEXT) LIKE '%{marker}%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the store'); END"
        )


def _registered(db: Path) -> list[Customer.Registered]:
    app = CrmApplication(store_env(db))
    try:
        return [e for e in all_events(app) if isinstance(e, Customer.Registered)]
    finally:
        app.close()


def test_a_row_the_store_refuses_is_an_error_row_and_the_rest_of_its_batch_goes_in(
    tmp_path: Path,
) -> None:
    rows = [
        {"external_id": f"R-{n}", "company_name": f"公司{name}", "phone": f"1380013{n:04d}"}
        for n, name in enumerate("甲乙丙丁戊己", start=1)
    ]
    rows[2]["external_id"] = "POISON-3"
    _store_refusing(tmp_path / "crm.db", "POISON")
    source = write_rows(tmp_path / "rows.csv", rows)
    result = crm("import", "customers", str(source), "--results", "out.csv", "--json",
                 cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    summary = as_json(result)
    assert summary["outcomes"]["created"] == 5
    assert summary["outcomes"]["error"] == 1
    assert summary["errors"][0]["row"] == 3
    out = read_csv(tmp_path / "out.csv")
    assert [r["outcome"] for r in out] == ["created", "created", "error", *["created"] * 3]
    assert out[2]["reason"]  # says why
    assert len(_registered(tmp_path / "crm.db")) == 5


def test_every_row_decided_exits_0_even_with_invalid_rows(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "rows.csv", [
        {"company_name": "甲公司", "phone": "138 0013 8000"},
        {"company_name": "乙公司", "phone": "138 0013 800"},  # a digit short: invalid
    ])
    result = crm("import", "customers", str(source), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert as_json(result)["outcomes"] == {
        "created": 1, "blocked": 0, "warned": 0, "merged": 0, "invalid": 1, "error": 0
    }


def test_ctrl_c_leaves_a_results_line_for_every_saved_row_and_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    data = generate(2500, seed=7)
    source = write_rows(tmp_path / "book.csv", [r.fields for r in data.rows])
    results = tmp_path / "first.csv"
    process = subprocess.Popen(
        [*CRM, "import", "customers", str(source), "--results", str(results), "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=crm_env(),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _lines(results) < 300:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] is True
    first = read_csv(results)
    assert 300 <= len(first) < len(data.rows)
    assert [int(r["row"]) for r in first] == list(range(1, len(first) + 1))
    created = {r["customer_id"] for r in first if r["outcome"] in ("created", "warned")}
    stored = {str(e.originator_id) for e in _registered(tmp_path / "crm.db")}
    assert stored == created  # every saved customer is in the results, and only those

    rerun = crm("import", "customers", str(source), "--results", "second.csv", "--json",
                cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    second = read_csv(tmp_path / "second.csv")
    assert len(second) == len(data.rows)
    again = Counter(r["outcome"] for r in second[: len(first)])
    assert again["created"] == 0  # nothing decided in the first run is created twice
    assert again["warned"] == 0


def _lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as handle:
        return max(0, sum(1 for _ in handle) - 1)


def _session_processes(session: int) -> list[int]:
    """Processes still alive in ``session`` (a killed import's staging workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _book(db: Path) -> Counter[tuple[str | None, str | None, str | None]]:
    return Counter((e.external_id, e.company_name, e.contact_name) for e in _registered(db))


def test_kill_9_mid_import_then_a_rerun_gives_the_book_of_an_uninterrupted_import(
    tmp_path: Path,
) -> None:
    data = generate(1500, seed=5)
    source = write_rows(tmp_path / "book.csv", [r.fields for r in data.rows])
    # A worker stages the rows (forced for a file this small), 100 rows a save.
    env = {"CRM_IMPORT_WORKERS": "1", "CRM_REGISTRATION__BATCH_SIZE": "100"}
    killed = tmp_path / "killed"
    killed.mkdir()
    first = killed / "first.csv"
    process = subprocess.Popen(
        [*CRM, "import", "customers", str(source), "--results", str(first), "--json"],
        cwd=killed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=crm_env(env), start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _lines(first) < 400:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    saved = read_csv(first)
    assert 400 <= len(saved) < len(data.rows)
    deadline = time.monotonic() + 15  # the worker reads the end of its requests and goes
    while _session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _session_processes(process.pid)

    rerun = crm("import", "customers", str(source), "--results", "second.csv", "--json",
                cwd=killed, env=env)
    assert rerun.returncode == 0, rerun.stderr
    second = read_csv(killed / "second.csv")
    assert [int(r["row"]) for r in second] == list(range(1, len(data.rows) + 1))
    redone = Counter(r["outcome"] for r in second[: len(saved)])
    assert redone["created"] == redone["warned"] == 0  # nothing saved is written twice
    book = _book(killed / "crm.db")

    whole = tmp_path / "whole"
    whole.mkdir()
    token = None
    if STORE_URL.get() is not None:
        from tests.postgres_server import fresh_database

        token = STORE_URL.set(fresh_database())
    try:
        once = crm("import", "customers", str(source), "--json", cwd=whole, env=env)
        assert once.returncode == 0, once.stderr
        assert book == _book(whole / "crm.db")  # none lost, none twice
    finally:
        if token is not None:
            STORE_URL.reset(token)
    assert all(count == 1 for (external_id, *_), count in book.items() if external_id)
