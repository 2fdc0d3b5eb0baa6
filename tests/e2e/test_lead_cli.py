"""``crm lead capture|show`` as a user runs them: real processes on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm, stored_events

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL


def test_four_channels_one_lead_shown_with_every_touch(tmp_path: Path) -> None:
    assert crm("rep", "add", "li", "--region", "北京", cwd=tmp_path).returncode == 0
    arrivals = [
        ["--channel", "web", "--company-name", "北京星河数据科技有限公司", "--contact-name",
         "张伟", "--phone", "138 0013 8000", "--device-id", "fp-9f2c", "--intent", "数据中台",
         "--region", "北京", "--at", "2026-11-20T10:00:00+08:00"],
        ["--channel", "ad", "--device-id", "fp-9f2c", "--email", "zw@xinghe.cn",
         "--campaign", "双11"],
        ["--channel", "exhibition", "--phone", "+86-138-0013-8000", "--source-tag", "展会",
         "--source-tag", "CIIE"],
        ["--channel", "referral", "--email", "ZW@xinghe.cn"],
    ]
    results = []
    for options in arrivals:
        result = crm("lead", "capture", *options, "--json", "--actor", "forms", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        results.append(as_json(result))
    assert [r["outcome"] for r in results] == [
        "created", "joined_lead", "joined_lead", "joined_lead"
    ]
    assert {r["lead_id"] for r in results} == {results[0]["lead_id"]}
    assert (results[-1]["touches"], results[-1]["owner"]) == (4, "li")

    shown = as_json(crm("lead", "show", results[0]["lead_id"], "--json", cwd=tmp_path))
    assert [t["channel"] for t in shown["touches"]] == ["web", "ad", "exhibition", "referral"]
    assert shown["touches"][0]["at"] == "2026-11-20T02:00:00+00:00"
    assert shown["touches"][2]["source_tags"] == ["展会", "CIIE"]
    table = crm("lead", "show", results[0]["lead_id"], cwd=tmp_path)
    assert table.returncode == 0
    assert "exhibition" in table.stdout
    assert "referral" in table.stdout


def test_a_customers_enquiry_joins_the_customer(tmp_path: Path) -> None:
    assert crm("rep", "add", "wang", cwd=tmp_path).returncode == 0
    added = crm("customer", "add", "--company-name", "上海云帆贸易有限公司", "--phone",
                "13900139000", "--actor", "wang", "--json", cwd=tmp_path)
    customer_id = as_json(added)["customer_id"]
    result = crm("lead", "capture", "--channel", "phone", "--phone", "139 0013 9000", "--json",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    joined = as_json(result)
    assert (joined["outcome"], joined["customer_id"], joined["owner"]) == (
        "joined_customer", customer_id, "wang"
    )
    assert "lead_id" not in joined


def test_bad_input_exits_2_naming_the_field_and_changes_nothing(tmp_path: Path) -> None:
    assert crm("lead", "capture", "--channel", "web", "--phone", "13800138000",
               cwd=tmp_path).returncode == 0
    before = stored_events(tmp_path / "crm.db")
    for options, field in (
        (["--channel", "fax", "--phone", "13800138000"], "channel"),
        (["--channel", "web"], "phone"),
        (["--channel", "web", "--phone", "13800138000", "--at", "yesterday"], "at"),
    ):
        result = crm("lead", "capture", *options, cwd=tmp_path)
        assert result.returncode == 2, (options, result.stdout, result.stderr)
        assert field in result.stderr
        assert "Traceback" not in result.stderr
    assert stored_events(tmp_path / "crm.db") == before
    missing = crm("lead", "show", "00000000-0000-0000-0000-000000000001", cwd=tmp_path)
    assert missing.returncode != 0
    assert "no lead" in missing.stderr
    malformed = crm("lead", "show", "not-an-id", cwd=tmp_path)
    assert malformed.returncode == 2
    assert "lead_id" in malformed.stderr


def test_import_leads_reports_every_row_and_a_rerun_creates_nothing(tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(
        "external_id,company_name,contact_name,phone,email,channel,source_tag,at\n"
        "L1,北京星河数据科技有限公司,张伟,13800138000,,web,官网,2026-11-20T10:00:00\n"
        "L2,,张伟,+86 138 0013 8000,zw@xinghe.cn,exhibition,展会;CIIE,\n"
        "L3,,李娜,12,,phone,,\n",
        encoding="utf-8-sig",
    )
    first = crm("import", "leads", str(source), "--results", "r1.csv", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert as_json(first)["outcomes"] == {
        "created": 1, "joined_lead": 1, "joined_customer": 0, "unchanged": 0, "invalid": 1,
        "error": 0,
    }
    results = (tmp_path / "r1.csv").read_text(encoding="utf-8").splitlines()
    assert results[0] == ("row,external_id,outcome,lead_id,customer_id,touches,score,route,"
                          "owner,reason")
    assert results[3].startswith("3,L3,invalid,")
    assert "phone:" in results[3]
    before = stored_events(tmp_path / "crm.db")
    again = crm("import", "leads", str(source), "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert as_json(again)["outcomes"]["unchanged"] == 2
    assert stored_events(tmp_path / "crm.db") == before

    nameless = tmp_path / "nameless.csv"
    nameless.write_text("region,industry\n北京,软件\n", encoding="utf-8")
    refused = crm("import", "leads", str(nameless), cwd=tmp_path)
    assert refused.returncode == 2
    assert "header needs" in refused.stderr


def test_lead_convert_hands_the_lead_to_its_owner_as_a_customer(tmp_path: Path) -> None:
    for rep in ("li", "wang"):
        assert crm("rep", "add", rep, cwd=tmp_path).returncode == 0
    captured = as_json(crm("lead", "capture", "--channel", "referral", "--company-name",
                           "北京星河数据科技有限公司", "--phone", "13800138000", "--intent", "CRM",
                           "--json", cwd=tmp_path))
    lead_id, owner = captured["lead_id"], captured["owner"]
    other = "wang" if owner == "li" else "li"
    refused = crm("lead", "convert", lead_id, "--actor", other, "--json", cwd=tmp_path)
    assert refused.returncode == 3
    assert as_json(refused)["rule"] == "not_permitted"
    done = crm("lead", "convert", lead_id, "--actor", owner, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    converted = as_json(done)
    assert (converted["outcome"], converted["owner"]) == ("created", owner)
    shown = as_json(crm("customer", "owner", converted["customer_id"], "--json", cwd=tmp_path))
    assert shown["owner"] == owner
    again = crm("lead", "convert", lead_id, "--actor", owner, "--json", cwd=tmp_path)
    assert again.returncode == 3
    assert as_json(again)["customer_id"] == converted["customer_id"]
