"""The issue's acceptance, as a new user runs it: a realistic Chinese B2B file with every
duplicate kind of the seeds and the hard non-duplicates imports in block, warn and merge
mode without a traceback, every row has a line in the results file, warn mode flags the
duplicates, and no genuinely new company is blocked or merged away."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from adapters.dedup_scoring import RowOutcome, score
from adapters.demo_data import HARD_NEGATIVES, generate
from tests.e2e.test_cli import as_json, crm
from tests.e2e.test_import_export import read_csv
from tests.e2e.test_import_survives import write_rows

pytestmark = pytest.mark.usefixtures("each_store")  # SQLite and PostgreSQL

BOOK = generate(1200, seed=11, duplicate_share=0.34, negative_share=0.2)


@pytest.mark.parametrize("mode", ["block", "warn", "merge"])
def test_a_realistic_book_imports_in_every_mode_with_no_wrong_block(
    tmp_path: Path, mode: str
) -> None:
    assert {r.variation for r in BOOK.rows} >= set(HARD_NEGATIVES)
    source = write_rows(tmp_path / "book.csv", [r.fields for r in BOOK.rows])
    result = crm("import", "customers", str(source), "--mode", mode, "--results", "out.csv",
                 "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert as_json(result)["outcomes"]["error"] == 0
    out = read_csv(tmp_path / "out.csv")
    assert [int(r["row"]) for r in out] == list(range(1, len(BOOK.rows) + 1))
    report = score([
        RowOutcome(
            record,
            row["outcome"],
            UUID(row["customer_id"]) if row["customer_id"] else None,
            tuple(UUID(c) for c in row["matched_customer_ids"].split(";") if c),
        )
        for record, row in zip(BOOK.rows, out, strict=True)
    ])
    assert report["wrong_blocks"] == []
    for negative in HARD_NEGATIVES:
        assert report["by_variation"][negative]["wrong_blocks"] == 0
    assert report["overall"]["recall"] >= 0.98
    if mode == "warn":
        assert report["overall"]["blocked"] == sum(r.exact_key_duplicate for r in BOOK.rows)
