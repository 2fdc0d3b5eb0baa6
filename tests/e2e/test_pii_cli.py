"""Personal data at rest through the CLI: a data-protection officer erases a customer,
an auditor still gets answers, an operator reads the key status and rotates the master."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import as_json, stored_rows
from tests.e2e.test_cli import crm as crm_in
from tests.integration.test_personal_data import new_key

PHONE = "13812345678"


def _stored_text(db: Path) -> bytes:
    events = b"".join(bytes(row[0]) for row in stored_rows(db, "SELECT state FROM {events}"))
    return events + repr(stored_rows(db, "SELECT * FROM crm_data_keys")).encode()


@pytest.mark.usefixtures("each_store")
def test_an_officer_erases_a_customer_and_the_audit_still_answers(tmp_path: Path) -> None:
    crm: Any = partial(crm_in, cwd=tmp_path, env={"CRM_PII__MASTER_KEY": new_key()})
    assert crm("rep", "add", "li", "--team", "north").returncode == 0
    added = crm("customer", "add", "--company-name", "北京星河数据科技有限公司",
                "--contact-name", "张伟", "--phone", PHONE, "--actor", "li", "--json")
    assert added.returncode == 0, added.stderr
    customer = as_json(added)["customer_id"]
    assert PHONE.encode() not in _stored_text(tmp_path / "crm.db")

    refused = crm("customer", "erase", customer, "--reason", "PIPL request 2026-117",
                  "--actor", "wang")
    assert refused.returncode == 3, refused.stderr  # not li's colleague's to erase
    erased = crm("customer", "erase", customer, "--reason", "PIPL request 2026-117",
                 "--actor", "li", "--json")
    assert erased.returncode == 0, erased.stderr
    shown = as_json(erased)
    assert (shown["outcome"], shown["phones"], shown["contact_name"]) == ("erased", [], None)
    assert shown["erased_at"]
    assert shown["data_keys_destroyed"] == [customer]

    owner = crm("audit", "owner-at", customer, "--json")
    assert owner.returncode == 0, owner.stderr
    assert as_json(owner)["owner"] == "li"
    timeline = crm("audit", "timeline", customer, "--json")
    assert timeline.returncode == 0, timeline.stderr
    status = as_json(crm("pii", "status", "--json"))
    # The customer's key and its ownership's (which seals the follow-ups' notes).
    assert (status["encrypted"], status["erased_subjects"]) == (True, 2)
    listed = crm("customer", "list", "--json")
    assert "张伟" not in listed.stdout
    assert listed.returncode == 0

    # The same book without its key is refused, naming the setting - never a traceback.
    keyless = crm_in("customer", "list", cwd=tmp_path)
    assert keyless.returncode == 2
    assert "pii.master_key" in keyless.stderr
    assert "Traceback" not in keyless.stderr


@pytest.mark.usefixtures("each_store")
def test_erasure_without_encryption_and_a_malformed_key_are_refused(tmp_path: Path) -> None:
    added = crm_in("customer", "add", "--company-name", "广州南方电器有限公司", "--json",
                   cwd=tmp_path)
    customer = as_json(added)["customer_id"]
    refused = crm_in("customer", "erase", customer, "--reason", "asked", cwd=tmp_path)
    assert refused.returncode == 2
    assert "pii.master_key" in refused.stderr
    no_reason = crm_in("customer", "erase", customer, cwd=tmp_path)
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr
    bad = crm_in("customer", "list", cwd=tmp_path, env={"CRM_PII__MASTER_KEY": "short"})
    assert bad.returncode == 2
    assert "pii.master_key" in bad.stderr


@pytest.mark.usefixtures("each_store")
def test_an_operator_rotates_the_master_key_without_touching_events(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    crm: Any = partial(crm_in, cwd=tmp_path)
    assert crm("customer", "add", "--company-name", "杭州西湖茶业有限公司", "--phone", PHONE,
               env={"CRM_PII__MASTER_KEY": old}).returncode == 0
    events = "SELECT originator_id, originator_version, state FROM {events} ORDER BY 1, 2"
    before = stored_rows(tmp_path / "crm.db", events)
    (tmp_path / "crm.toml").write_text(
        f'[pii]\nmaster_key = "{new}"\nprevious_master_keys = ["{old}"]\n', encoding="utf-8")
    rotated = crm("pii", "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    assert as_json(rotated) == {"rewrapped": 2, "already_current": 0}
    (tmp_path / "crm.toml").write_text(f'[pii]\nmaster_key = "{new}"\n', encoding="utf-8")
    status = as_json(crm("pii", "status", "--json"))
    assert list(status["data_keys_by_master"].values()) == [2]
    assert crm("customer", "list").returncode == 0
    assert stored_rows(tmp_path / "crm.db", events) == before
    (tmp_path / "crm.toml").write_text(f'[pii]\nmaster_key = "{old}"\n', encoding="utf-8")
    stale = crm("customer", "add", "--company-name", "成都天府软件有限公司")
    assert stale.returncode == 2
    assert "pii.master_key" in stale.stderr


def test_the_demo_runs_on_an_encrypted_book_and_stores_no_phone_in_clear(
    tmp_path: Path,
) -> None:
    """Its race and claim workers are processes of their own: each opens the book with
    the key, or none could read it."""
    demo = crm_in("demo", "--customers", "80", cwd=tmp_path,
                  env={"CRM_PII__MASTER_KEY": new_key()})
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    stored = _stored_text(tmp_path / "crm.db")
    assert b"pii1:" in stored
    assert b"+861" not in stored  # no E.164 mobile number anywhere in the events


@pytest.mark.usefixtures("each_store")
def test_an_officer_erases_a_lead_and_the_buyer_can_arrive_again(tmp_path: Path) -> None:
    crm: Any = partial(crm_in, cwd=tmp_path, env={"CRM_PII__MASTER_KEY": new_key()})
    form = ("lead", "capture", "--channel", "web", "--contact-name", "李娜", "--phone", PHONE,
            "--json", "--actor", "forms")
    lead = as_json(crm(*form))["lead_id"]
    no_reason = crm("lead", "erase", lead)
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr
    erased = crm("lead", "erase", lead, "--reason", "PIPL request 2026-120", "--json")
    assert erased.returncode == 0, erased.stderr
    shown = as_json(erased)
    assert (shown["outcome"], shown["keys"], shown["data_keys_destroyed"]) == (
        "erased", [], [lead])
    again = as_json(crm(*form))
    assert (again["outcome"], again["lead_id"] != lead) == ("created", True)
    assert PHONE.encode() not in _stored_text(tmp_path / "crm.db")
    unknown = crm("lead", "erase", "00000000-0000-4000-8000-000000000000", "--reason", "x")
    assert unknown.returncode == 4
