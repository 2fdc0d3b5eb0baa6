"""Hostile files at both importers and the CLI: random bytes, the wrong encoding, NUL
bytes, ragged rows, unknown columns, huge and formula cells. Every run ends with an exit
code of the contract and a report - never a traceback - and ``crm export`` afterwards
writes no cell a spreadsheet would execute."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.cli.main import app as crm_app
from tests.conftest import STORES

CUSTOMER_COLUMNS = ("external_id", "company_name", "contact_name", "phone", "email", "uscc",
                    "wechat", "region", "industry", "source")
LEAD_COLUMNS = (*CUSTOMER_COLUMNS, "channel", "source_tag", "campaign", "intent", "at")
CELLS = st.one_of(
    st.sampled_from(["北京星河数据科技有限公司", "13800138000", "+86 138-0013-8000",
                     "li@xinghe.cn", "91110105MA01ABCDEB", "web", "2026-03-01T09:00:00+08:00",
                     "=cmd|' /C calc'!A0", "@SUM(A1:A9)", "-1+1", "+1", "\t=1", "\r=1",
                     "'; DROP TABLE stored_events; --", "A" * 20_000, "\x00", "\x1b[2J", "",
                     "\u202e", "，；、", "null"]),
    st.text(max_size=30),
)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1")
PLAIN_NUMBER = re.compile(r"^[+-]\d+(\.\d+)?$")


@st.composite
def hostile_files(draw: st.DrawFn, columns: tuple[str, ...]) -> bytes:
    """A CSV file as a careless export or an attacker might write it, or plain garbage."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    header = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=8, unique=True))
    if draw(st.integers(0, 4)) == 0:  # a column nobody knows, or a blank heading
        header.append(draw(st.sampled_from(["unknown", "电话", ""])))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(ENCODINGS)) if draw(st.integers(0, 3)) == 0 else "utf-8"
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 3)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\r", b'"']))
    return data


def _run(*args: str) -> Any:
    return CliRunner().invoke(crm_app, list(args), catch_exceptions=True)


def _answered(result: Any) -> None:
    """An exit code of the contract, and no exception escaped to the user."""
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 1, 2, 3, 4), (result.exit_code, result.output[-500:])
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)[:500]


def _book(folder: Path, store: str) -> str:
    """The ``--db`` of a new book: a SQLite file in ``folder``, or a new PostgreSQL
    database (the importers write through either store's recorder)."""
    if store == "postgres":
        from tests.postgres_server import fresh_database

        return fresh_database()
    return str(folder / "crm.db")


def _export_is_safe(db: str, out: Path) -> None:
    exported = _run("export", "customers", "-o", str(out), "--db", db)
    _answered(exported)
    if exported.exit_code != 0:
        return
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in list(csv.reader(handle))[1:] for cell in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")
             and not PLAIN_NUMBER.match(c)]
    assert risky == []


def _import_hostile(
    folder: Path, db: str, what: str, file: bytes, outcomes: set[str]
) -> None:
    """``crm import <what>`` of ``file``: a contract exit code, and every row of the
    results decided (hostile is not broken: no ``error`` row)."""
    source = folder / "in.csv"
    source.write_bytes(file)
    _answered(_run("import", what, str(source), "--results", str(folder / "r.csv"),
                   "--db", db))
    if (folder / "r.csv").exists():
        with (folder / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
            seen = {row["outcome"] for row in csv.DictReader(handle)}
        assert seen <= outcomes, seen


@pytest.mark.parametrize("store", STORES)
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_hostile_customer_files_are_reported_and_exports_stay_safe(
    tmp_path_factory: Any, store: str, data: st.DataObject
) -> None:
    folder: Path = tmp_path_factory.mktemp("import")
    db = _book(folder, store)
    _import_hostile(folder, db, "customers", data.draw(hostile_files(CUSTOMER_COLUMNS)),
                    {"created", "blocked", "warned", "merged", "invalid"})
    if store == "postgres" or (folder / "crm.db").exists():
        _export_is_safe(db, folder / "out.csv")


@pytest.mark.parametrize("store", STORES)
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_hostile_lead_files_are_reported(
    tmp_path_factory: Any, store: str, data: st.DataObject
) -> None:
    folder: Path = tmp_path_factory.mktemp("leads")
    _import_hostile(folder, _book(folder, store), "leads",
                    data.draw(hostile_files(LEAD_COLUMNS)),
                    {"created", "joined_lead", "joined_customer", "unchanged", "invalid"})


ARGUMENTS = st.lists(st.one_of(CELLS, st.sampled_from(
    ["--phone", "--email", "--company-name", "--json", "--at", "--reason", "--rep", "--to",
     "--limit", "-1", "--db", "not-a-uuid", "00000000-0000-0000-0000-000000000001"])),
    max_size=6)
COMMANDS = [("customer", "add"), ("customer", "show"), ("customer", "erase"), ("claim",),
            ("follow-up",), ("lead", "capture"), ("order", "sign"), ("audit", "owner-at"),
            ("report", "collisions"), ("customer", "list"), ("pii", "status")]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS), ARGUMENTS)
def test_hostile_command_lines_get_an_answer_never_a_traceback(
    tmp_path_factory: Any, command: tuple[str, ...], arguments: list[str]
) -> None:
    folder: Path = tmp_path_factory.mktemp("cli")
    if "--db" in arguments:  # never let a drawn value name a file outside the sandbox
        arguments = [a for a in arguments if a != "--db"]
    _answered(_run(*command, *arguments, "--db", str(folder / "crm.db")))
