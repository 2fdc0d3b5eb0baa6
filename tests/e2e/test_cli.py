"""The ``crm`` tool as a user runs it: a real process, a real SQLite file, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest

from adapters.demo_data import EXACT_KEY_VARIATIONS
from adapters.settings import Settings
from crmcore import CrmApplication
from tests.conftest import event_count, sqlite_env

CRM = [sys.executable, "-c", "from adapters.cli.main import run; run()"]


STORE_URL: ContextVar[str | None] = ContextVar("STORE_URL", default=None)
"""The PostgreSQL database the current test's ``crm`` runs on (None: crm.db in its working
directory); set by the ``each_store`` fixture (tests/e2e/conftest.py)."""


def crm(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRM, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=crm_env(env), check=False)


def crm_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``crm`` runs in: no CRM_ setting of the caller's, the test's store."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    store = {"CRM_DB": url} if (url := STORE_URL.get()) else {}
    return {**clean, **store, **(env or {})}


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def store_env(db: Path) -> dict[str, str]:
    """The event store's settings: ``db``, or the test's PostgreSQL database."""
    url = STORE_URL.get()
    return Settings(db=url).eventsourcing_env() if url else sqlite_env(db)


def views_url(db: Path) -> str:
    """The read-model database's URL: ``db`` itself, or the test's PostgreSQL database."""
    return Settings(db=STORE_URL.get() or db).read_models_url()


def stored_rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the store's own database, as an outsider reading it raw sees
    them; ``{events}`` names the events table (eventsourcing names it per store)."""
    from sqlalchemy import create_engine, text

    events = "crmcore_events" if STORE_URL.get() else "stored_events"
    engine = create_engine(views_url(db))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query.format(events=events)))]
    finally:
        engine.dispose()


def stored_events(db: Path) -> int:
    """How many events the store holds: ``db``, or the test's PostgreSQL database."""
    app = CrmApplication(store_env(db))
    try:
        return event_count(app)
    finally:
        app.close()


def test_customer_add_writes_to_crm_db_in_the_working_directory(tmp_path: Path) -> None:
    result = crm("customer", "add", "--company-name", "北京某某科技有限公司",
                 "--phone", "138 0013 8000", "--email", "Li@X.cn", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    created = as_json(result)
    assert created["phones"] == ["+8613800138000"]
    assert (tmp_path / "crm.db").exists()
    shown = as_json(crm("customer", "show", created["customer_id"], "--json", cwd=tmp_path))
    assert shown["emails"] == ["li@x.cn"]


def test_a_bad_uscc_exits_2_naming_uscc_and_changes_nothing(tmp_path: Path) -> None:
    assert crm("customer", "add", "--company-name", "甲", cwd=tmp_path).returncode == 0
    before = stored_events(tmp_path / "crm.db")
    result = crm("customer", "add", "--company-name", "乙", "--uscc", "91110000600037341M",
                 cwd=tmp_path)
    assert result.returncode == 2
    assert "uscc" in result.stderr
    as_doc = crm("customer", "add", "--company-name", "乙", "--uscc", "91110000600037341M",
                 "--json", cwd=tmp_path)
    assert (as_doc.returncode, as_json(as_doc)["field"]) == (2, "uscc")
    assert stored_events(tmp_path / "crm.db") == before


def test_a_duplicate_exits_3_naming_the_existing_customer(tmp_path: Path) -> None:
    first = as_json(crm("customer", "add", "--company-name", "甲", "--phone", "13800138000",
                        "--json", cwd=tmp_path))
    result = crm("customer", "add", "--company-name", "甲公司", "--phone", "+86-138-0013-8000",
                 "--json", cwd=tmp_path)
    assert result.returncode == 3
    refusal = as_json(result)
    assert refusal["existing_customer_id"] == first["customer_id"]
    assert (refusal["key"], refusal["rule"]) == ("phone:+8613800138000", "exact_key")


@pytest.mark.parametrize(("customer_id", "code"), [
    ("not-a-uuid", 2), ("00000000-0000-4000-8000-000000000000", 4)])
def test_showing_a_missing_customer_fails_clearly(tmp_path: Path, customer_id: str,
                                                  code: int) -> None:
    result = crm("customer", "show", customer_id, "--json", cwd=tmp_path)
    assert result.returncode == code
    assert as_json(result)["error"] in {"validation_failed", "customer_not_found"}


def test_db_comes_from_flag_then_environment(tmp_path: Path) -> None:
    env_db, flag_db = tmp_path / "env.db", tmp_path / "flag.db"
    crm("customer", "add", "--contact-name", "张三", cwd=tmp_path, env={"CRM_DB": str(env_db)})
    crm("customer", "add", "--contact-name", "李四", "--db", str(flag_db), cwd=tmp_path,
        env={"CRM_DB": str(env_db)})
    assert stored_events(env_db) == 1
    assert stored_events(flag_db) == 1
    assert not (tmp_path / "crm.db").exists()


def test_config_show_merges_toml_environment_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "crm.toml").write_text(
        'db = "book.db"\n[identity]\ndefault_phone_region = "HK"\n', encoding="utf-8")
    shown = as_json(crm("config", "show", "--json", cwd=tmp_path,
                        env={"CRM_REGISTRATION__BATCH_SIZE": "250"}))
    assert shown["db"] == "book.db"
    assert shown["identity"]["default_phone_region"] == "HK"
    assert shown["registration"]["batch_size"] == 250
    assert shown["registration"]["max_save_attempts"] == 5


def test_a_bad_setting_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "crm.toml").write_text('[identity]\ndefault_phone_region = "XX"\n',
                                       encoding="utf-8")
    result = crm("config", "show", "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert as_json(result)["field"] == "identity.default_phone_region"
    typo = crm("config", "show", "--json", cwd=tmp_path,
               env={"CRM_CONFIG": str(tmp_path / "missing.toml")})
    assert (typo.returncode, as_json(typo)["field"]) == (2, "config")


def test_customer_list_shows_what_was_registered(tmp_path: Path) -> None:
    for name in ("甲", "乙", "丙"):
        crm("customer", "add", "--company-name", name, cwd=tmp_path)
    listed = as_json(crm("customer", "list", "--limit", "2", "--json", cwd=tmp_path))
    assert listed["total"] == 3
    assert [c["company_name"] for c in listed["customers"]] == ["甲", "乙"]


@pytest.mark.slow
@pytest.mark.usefixtures("each_store")
def test_demo_catches_the_planted_duplicates_and_wins_the_race(tmp_path: Path) -> None:
    result = crm("demo", "--customers", "300", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = as_json(result)
    quality = report["quality"]
    assert quality["wrong_blocks"] == []
    assert quality["overall"]["recall"] >= 0.95
    assert quality["overall"]["precision"] >= 0.95
    exact = [d for d in report["details"] if d["variation"] in EXACT_KEY_VARIATIONS]
    assert exact
    assert all(d["outcome"] == "blocked" for d in exact)
    assert report["outcomes"]["invalid"] > 0
    assert sum(report["invalid_by_field"].values()) == report["outcomes"]["invalid"]
    assert (report["race"]["created"], report["race"]["blocked"]) == (1, 7)
    act = report["ownership"]
    assert sum(act["assigned"].values()) == 60
    assert act["second_sweep"]["recycled:protection_expired"] > 0
    race = act["race"]
    outcomes = Counter(e["outcome"] for e in race["entries"])
    assert outcomes == {"won": 1, "refused": 7}
    assert all(e["names"] == race["winner"] for e in race["entries"] if e["rule"] == "protected")
    assert act["owner_now"]["owner"] == race["winner"]
    leads = report["leads"]
    assert [c["outcome"] for c in leads["captures"]] == [
        "created", "joined_lead", "joined_lead", "joined_lead"
    ]
    assert len(leads["lead"]["touches"]) == 4
    assert leads["lead"]["owner"] is not None
    assert (leads["converted"]["outcome"], leads["converted"]["owner"]) == (
        "created", leads["lead"]["owner"]
    )
    enquiry = leads["enquiry"]
    assert enquiry["outcome"] == "joined_customer"
    assert enquiry["route"] == "owner"
    assert enquiry["owner"] is not None
    assert enquiry["rep"] != enquiry["owner"]
    deals = report["deals"]
    assert (deals["refused"]["rule"], deals["refused"]["missing"]) == ("gate", ["decision_maker"])
    assert "decision_maker" in deals["refused"]["message"]
    assert deals["stage"] == "won"
    assert deals["duplicate"]["suspected_duplicate_of"] == deals["opportunity_id"]
    credited = [(c["rep"], c["share"]) for c in deals["payment"]["credits"]]
    assert credited == [(deals["owner"], 0.7), (deals["collaborator"], 0.3)]
    assert deals["transferred_to"] not in (deals["owner"], deals["collaborator"])
    funnel = crm("report", "funnel", "--json", cwd=tmp_path)
    assert funnel.returncode == 0, funnel.stderr
    reached = {r["stage"]: r["reached"] for r in as_json(funnel)["rows"]}
    assert reached["won"] == 1
    assert reached["initial_contact"] == 2
    attribution = as_json(crm("report", "attribution", "--json", cwd=tmp_path))
    paid = [(c["rep"], c["credited"]) for c in attribution["credits"] if c["milestone"] == "paid"]
    assert sorted(paid) == sorted(
        [(deals["owner"], "280000.00"), (deals["collaborator"], "120000.00")]
    )
    table = crm("report", "attribution", cwd=tmp_path)
    assert table.returncode == 0
    assert "Revenue" in table.stdout


def test_a_rep_is_refused_a_colleagues_customer_without_seeing_its_data(tmp_path: Path) -> None:
    assert crm("rep", "add", "rep-1", cwd=tmp_path).returncode == 0
    first = crm("customer", "add", "--company-name", "北京星河科技有限公司", "--contact-name",
                "王伟", "--phone", "13800138000", "--actor", "rep-1", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    customer_id = as_json(first)["customer_id"]
    rep = {"CRM_ROLE": "rep", "CRM_ACTOR": "rep-2"}
    again = crm("customer", "add", "--company-name", "星河科技（北京）", "--json",
                cwd=tmp_path, env=rep)
    assert again.returncode == 3
    refusal = as_json(again)
    assert refusal["owner"] == "rep-1"
    assert "王伟" not in again.stdout
    assert "features" not in refusal["explanation"]["matches"][0]
    shown = as_json(crm("customer", "show", customer_id, "--json", cwd=tmp_path, env=rep))
    assert shown == {"customer_id": customer_id, "owner": "rep-1", "visible": False}
    bad_role = crm("customer", "show", customer_id, cwd=tmp_path, env={"CRM_ROLE": "boss"})
    assert bad_role.returncode == 2
    assert "role" in bad_role.stderr
