"""The scan on Spark (local mode) finds exactly what the reference scan finds.

Spark runs DuckDB's statements spelled in its own SQL (lambdas, list functions, an edit
distance without Damerau): a wrong spelling would lose or add pairs. So random books of
the DuckDB engine's property test go through Spark too and must agree with the entry-by-
entry reference pair for pair, feature for feature, and on the ignore count.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.duplicate_scan.scan import engine_scan
from crmcore.config import DedupMode
from crmcore.identity.duplicate_scan import scan_duplicates
from projections.identity_index import IDENTITY_VIEW
from projections.runner import ProjectionRunner
from tests.spark_session import local_spark
from tests.unit.test_duplicate_scan_engine import (
    COMPANIES,
    CONTACTS,
    EMAILS,
    PHONES,
    _app,
    books,
    filed_book,
)
from tests.unit.test_identity_view import _apply


# Each example starts several Spark jobs (a second or so each in local mode): fewer
# examples than DuckDB's 60, the same strategy of books.
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books, st.sampled_from([2, 500]))
def test_spark_finds_what_the_entry_by_entry_scan_finds(
    ops: list[tuple[str, Any, Any]], max_block_size: int
) -> None:
    local_spark()
    app, engine = filed_book(ops, max_block_size)

    expected = scan_duplicates(app.identity)
    found = engine_scan(engine, "spark")(app.identity)

    assert found.pairs == expected.pairs
    assert found.ignored == expected.ignored
    assert found.engine == "spark"
    app.close()
    engine.dispose()


def test_spark_in_parts_with_a_generic_key_agrees_with_duckdb() -> None:
    """Several parts, a switchboard phone turned generic (its holders judged direction by
    direction), Latin and Chinese names: Spark and DuckDB give the same outcome."""
    local_spark()
    app, engine = _app(500)
    rows = [
        {"company_name": company, "contact_name": CONTACTS[i % len(CONTACTS)],
         "phones": PHONES[i : i + 1], "emails": EMAILS[i : i + 1]}  # no exact key shared
        for i, company in enumerate(COMPANIES)
    ]
    ids: list[UUID] = []
    _apply(app, ids, "register", rows, DedupMode.WARN)
    _apply(app, ids, "switchboard", None, None)
    ProjectionRunner(app, engine, [IDENTITY_VIEW]).catch_up()

    on_duckdb = engine_scan(engine, "duckdb", part_size=60)(app.identity)
    on_spark = engine_scan(engine, "spark", part_size=60)(app.identity)

    assert len(on_duckdb.pairs) >= 15  # look-alikes
    assert on_duckdb.ignored > 0  # and pairs no rule fires on
    assert on_spark.pairs == on_duckdb.pairs == scan_duplicates(app.identity).pairs
    assert on_spark.ignored == on_duckdb.ignored
    assert list(on_spark.stages) == list(on_duckdb.stages)
    app.close()
    engine.dispose()
