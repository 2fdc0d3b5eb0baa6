"""``crm import customers`` on PostgreSQL survives the server restarting under it.

A private server (the shared one serves other tests) is restarted with ``pg_ctl restart
-m fast`` while an import runs: every connection is cut. The import waits for the server
and goes on (no row fails, exit 0), a re-run of the file changes nothing, and the book is
the one an uninterrupted import makes - no row lost, none written twice. A server that
stays away stops the import with a clear error naming it, and a re-run completes it.
"""

from __future__ import annotations

import csv
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.demo_data import generate
from adapters.files.customers_csv import CUSTOMER_COLUMNS
from crmcore import CrmApplication
from crmcore.domain import Customer
from tests.conftest import all_events
from tests.e2e.test_cli import CRM, crm, crm_env
from tests.e2e.test_import_export import read_csv
from tests.postgres_server import PostgresServer, _start

Book = Counter[tuple[str | None, str | None, str | None]]


@pytest.fixture
def private_server() -> Iterator[PostgresServer]:
    server = _start()
    yield server
    server.stop()


def _database(server: PostgresServer, name: str) -> str:
    server.run_sql(f"CREATE DATABASE {name}")
    return server.url(name)


def _book(url: str) -> Book:
    from adapters.settings import Settings

    app = CrmApplication(Settings(db=url).eventsourcing_env())
    try:
        return Counter(
            (e.external_id, e.company_name, e.contact_name)
            for e in all_events(app)
            if isinstance(e, Customer.Registered)
        )
    finally:
        app.close()


def _lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as handle:
        return max(0, sum(1 for _ in handle) - 1)


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    subprocess.run(
        [*server.as_user, str(server.bin / "pg_ctl"), "-D", str(server.directory / "data"),
         "-l", str(server.directory / "server.log"), "-w", *args],
        # A server started here keeps the streams it is given: none of ours.
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=120,
    )


def _source(tmp_path: Path, seed: int) -> tuple[Path, int]:
    data = generate(1500, seed=seed)
    source = tmp_path / "book.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CUSTOMER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(r.fields for r in data.rows)
    return source, len(data.rows)


def _import_while(
    tmp_path: Path, source: Path, env: dict[str, str], act: Callable[[], None]
) -> tuple[int, str, list[dict[str, str]]]:
    """Runs the import, does ``act`` once 300 rows are reported; its exit code, what it
    printed and its results."""
    first = tmp_path / "first.csv"
    process = subprocess.Popen(
        [*CRM, "import", "customers", str(source), "--results", str(first), "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=crm_env(env),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _lines(first) < 300:
        time.sleep(0.02)
    assert process.poll() is None, "the import ended before the server was touched"
    act()
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout + stderr, read_csv(first)


def _completes_as_uninterrupted(
    tmp_path: Path, server: PostgresServer, source: Path, env: dict[str, str], rows: int
) -> None:
    """A re-run decides every row, none fails, and the book is an uninterrupted run's."""
    rerun = crm("import", "customers", str(source), "--results", "second.csv", "--json",
                cwd=tmp_path, env=env)
    assert rerun.returncode == 0, rerun.stderr
    second = read_csv(tmp_path / "second.csv")
    assert len(second) == rows
    assert not [r for r in second if r["outcome"] == "error"]
    whole = tmp_path / "whole"
    whole.mkdir()
    once_url = _database(server, "uninterrupted")
    once = crm("import", "customers", str(source), "--json", cwd=whole,
               env={**env, "CRM_DB": once_url})
    assert once.returncode == 0, once.stderr
    book = _book(env["CRM_DB"])
    assert book == _book(once_url)  # none lost, none twice
    assert all(count == 1 for (external_id, *_), count in book.items() if external_id)


@pytest.mark.parametrize("outage", ["pg_ctl restart -m fast", "down for four seconds"])
def test_a_server_restarting_mid_import_is_waited_for_and_the_import_goes_on(
    tmp_path: Path, private_server: PostgresServer, outage: str
) -> None:
    source, rows = _source(tmp_path, 9)
    env = {"CRM_DB": _database(private_server, "restarted"), "CRM_IMPORT_WORKERS": "1",
           "CRM_REGISTRATION__BATCH_SIZE": "100"}

    def act() -> None:
        if outage.startswith("pg_ctl"):
            _pg_ctl(private_server, "-m", "fast", "restart")
            return
        _pg_ctl(private_server, "-m", "fast", "stop")
        time.sleep(4)
        private_server.start()

    code, printed, first = _import_while(tmp_path, source, env, act)
    assert "Traceback" not in printed
    assert code == 0, printed  # it went on: no row failed
    assert [int(r["row"]) for r in first] == list(range(1, rows + 1))
    assert not [r for r in first if r["outcome"] == "error"]
    _completes_as_uninterrupted(tmp_path, private_server, source, env, rows)


def test_a_server_away_past_the_wait_stops_the_import_naming_it_and_a_rerun_completes(
    tmp_path: Path, private_server: PostgresServer
) -> None:
    source, rows = _source(tmp_path, 11)
    env = {"CRM_DB": _database(private_server, "stopped"), "CRM_STORE_WAIT_SECONDS": "2",
           "CRM_REGISTRATION__BATCH_SIZE": "100"}
    code, printed, first = _import_while(
        tmp_path, source, env, lambda: _pg_ctl(private_server, "-m", "fast", "stop")
    )
    assert "Traceback" not in printed
    assert code == 1
    assert "stayed unreachable" in printed
    assert f"{private_server.port}" in printed  # names the server
    assert 300 <= len(first) < rows
    assert [int(r["row"]) for r in first] == list(range(1, len(first) + 1))
    assert not [r for r in first if r["outcome"] == "error"]  # stopped, not failed rows
    private_server.start()
    _completes_as_uninterrupted(tmp_path, private_server, source, env, rows)


def test_waiting_for_the_server_gives_the_event_store_fresh_connections(
    private_server: PostgresServer,
) -> None:
    from adapters.settings import Settings
    from adapters.store_outage import wait_for_store
    from crmcore.errors import StoreUnavailable

    app = CrmApplication(Settings(db=_database(private_server, "waited")).eventsourcing_env())
    try:
        app.recorder.max_notification_id()  # the pool holds connections now
        _pg_ctl(private_server, "-m", "fast", "stop")
        away = OSError("connection")
        with pytest.raises(StoreUnavailable, match=str(private_server.port)):
            wait_for_store(app, _refused(private_server), 1.0)
        broken = app.recorder.datastore.pool
        restarter = threading.Timer(2.0, private_server.start)
        restarter.start()
        assert wait_for_store(app, away, 60.0) is True
        restarter.join()
        # The pool the stop broke is replaced (after a long outage its reconnection backs
        # off for minutes): the next read connects at once.
        assert app.recorder.datastore.pool is not broken
        began = time.monotonic()
        app.recorder.max_notification_id()
        assert time.monotonic() - began < 5
    finally:
        app.close()


def _refused(server: PostgresServer) -> Exception:
    """The error a connection to the stopped server gets (it names the server)."""
    import psycopg

    try:
        psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                        connect_timeout=2).close()
    except psycopg.OperationalError as error:
        return error
    raise AssertionError("the server still answers")
