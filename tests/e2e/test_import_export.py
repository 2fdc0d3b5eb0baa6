"""``crm import customers`` and ``crm export customers`` as a user runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, crm, stored_events

pytestmark = pytest.mark.usefixtures("each_store")

SEED_ROWS = [
    # external_id first, columns in another order than the documented one on purpose
    {"external_id": "A-1", "company_name": "北京市某某科技股份有限公司", "contact_name": "张伟",
     "phone": "138 0013 8000", "region": "北京"},
    {"external_id": "A-2", "company_name": "北京某某科技", "contact_name": "李娜"},
    {"external_id": "A-3", "company_name": "北京某某科技有限公司", "phone": "+86-138-0013-8000"},
    {"external_id": "A-4", "company_name": "ACME Co., Ltd.", "email": "li.lei@acme.com"},
    {"external_id": "A-5", "company_name": "Acme Company Limited"},
    {"external_id": "A-6", "company_name": "深圳華為技術有限公司"},
    {"external_id": "A-7", "company_name": "深圳华为技术有限公司"},
    {"external_id": "A-8", "contact_name": "王芳", "phone": "139 1234 5678"},
    {"external_id": "A-9", "contact_name": "王芳", "phone": "139 1234 5679"},
    {"external_id": "A-10", "company_name": "上海某某贸易有限公司", "uscc": "not-a-code"},
]
COLUMNS = ["contact_name", "external_id", "company_name", "phone", "email", "uscc", "region",
           "备注"]


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "备注": "from the seeds"})
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_import_blocks_the_seed_duplicates_and_explains_each_row(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "seeds.csv", SEED_ROWS)
    result = crm("import", "customers", str(source), "--results", "out.csv", "--json",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = as_json(result)
    assert summary["ignored_columns"] == ["备注"]
    rows = read_csv(tmp_path / "out.csv")
    assert list(rows[0]) == ["row", "external_id", "outcome", "customer_id",
                             "matched_customer_ids", "reason"]
    outcome = {r["external_id"]: r for r in rows}
    assert [r["row"] for r in rows] == [str(n) for n in range(1, 11)]
    assert outcome["A-2"]["outcome"] == "blocked"  # 北京某某科技 ≈ 北京市某某科技股份有限公司
    assert outcome["A-2"]["customer_id"] == outcome["A-1"]["customer_id"]
    assert outcome["A-2"]["reason"].startswith("same_company")
    assert outcome["A-3"]["outcome"] == "blocked"
    assert "phone:+8613800138000" in outcome["A-3"]["reason"]
    assert outcome["A-5"]["customer_id"] == outcome["A-4"]["customer_id"]  # ACME ≈ Acme
    assert outcome["A-7"]["customer_id"] == outcome["A-6"]["customer_id"]  # traditional
    assert outcome["A-9"]["outcome"] == "warned"  # one digit off, same person
    assert outcome["A-9"]["matched_customer_ids"] == outcome["A-8"]["customer_id"]
    assert outcome["A-10"]["outcome"] == "invalid"
    assert outcome["A-10"]["reason"].startswith("uscc:")
    assert summary["outcomes"] == {"created": 4, "blocked": 4, "warned": 1, "merged": 0,
                                   "invalid": 1, "error": 0}


def test_a_rerun_of_the_same_file_creates_nothing_new(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "seeds.csv", SEED_ROWS, encoding="utf-8")
    assert crm("import", "customers", str(source), cwd=tmp_path).returncode == 0
    again = as_json(crm("import", "customers", str(source), "--json", cwd=tmp_path))
    assert again["outcomes"]["created"] == again["outcomes"]["warned"] == 0
    assert again["outcomes"]["invalid"] == 1


def test_merge_mode_attaches_the_duplicate_and_fills_what_was_missing(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [SEED_ROWS[0]])
    second = write_csv(tmp_path / "b.csv", [{"company_name": "北京某某科技",
                                             "email": "zhang.wei@mou.cn", "external_id": "B-1"}])
    crm("import", "customers", str(first), cwd=tmp_path)
    result = crm("import", "customers", str(second), "--mode", "merge", "--results", "r.csv",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (row,) = read_csv(tmp_path / "r.csv")
    assert row["outcome"] == "merged"
    shown = as_json(crm("customer", "show", row["customer_id"], "--json", cwd=tmp_path))
    assert shown["emails"] == ["zhang.wei@mou.cn"]
    assert shown["company_name"] == "北京市某某科技股份有限公司"  # never overwritten


def test_a_file_without_a_name_column_is_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,email\n13800138000,a@b.cn\n", encoding="utf-8")
    result = crm("import", "customers", str(bad), "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert as_json(result)["field"] == "FILE"
    assert stored_events(tmp_path / "crm.db") == 0


def test_export_writes_import_compatible_rows(tmp_path: Path) -> None:
    crm("import", "customers", str(write_csv(tmp_path / "s.csv", SEED_ROWS)), cwd=tmp_path)
    assert crm("export", "customers", "-o", "out.csv", cwd=tmp_path).returncode == 0
    exported = read_csv(tmp_path / "out.csv")
    assert len(exported) == 5  # four created, one created with a warning
    assert exported[0]["phone"] == "+8613800138000"
    again = as_json(crm("import", "customers", "out.csv", "--json", cwd=tmp_path))
    assert again["outcomes"]["blocked"] == 5
