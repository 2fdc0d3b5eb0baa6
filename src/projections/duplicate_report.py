"""The duplicate-candidates report: the batch scan's pairs, kept in a table.

``crm duplicates scan`` replaces the whole report in one transaction (a scan is a pure
function of the log and the rules, so there is nothing to merge with the old one);
``crm duplicates report`` reads it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from crmcore.identity.duplicate_scan import DuplicatePair
from projections.tables import duplicate_candidates, read_model_positions

NAME = "duplicate_candidates"


@dataclass(frozen=True)
class ReportRow:
    customer_a: str
    customer_b: str
    name_a: str | None
    name_b: str | None
    score: float
    features: dict[str, float]
    rule: str | None
    suggested_action: str
    shared_keys: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Report:
    position: int | None
    rule_set_version: str | None
    rows: list[ReportRow]


def write_report(
    engine: Engine,
    pairs: Sequence[DuplicatePair],
    names: dict[str, str | None],
    *,
    position: int | None,
    rule_set_version: str,
) -> None:
    """Replaces the report with ``pairs``, read up to log ``position``."""
    rows = [
        {
            **pair.to_dict(),
            "name_a": names.get(str(pair.customer_a)),
            "name_b": names.get(str(pair.customer_b)),
        }
        for pair in pairs
    ]
    with engine.begin() as connection:
        connection.execute(delete(duplicate_candidates))
        if rows:
            connection.execute(insert(duplicate_candidates), rows)
        connection.execute(delete(read_model_positions).where(read_model_positions.c.name == NAME))
        connection.execute(
            insert(read_model_positions),
            {"name": NAME, "position": position, "rule_set_version": rule_set_version},
        )


def read_report(engine: Engine, *, action: str | None = None) -> Report:
    """The report, strongest pair first; ``action`` keeps only that suggestion."""
    query = select(duplicate_candidates).order_by(
        duplicate_candidates.c.score.desc(),
        duplicate_candidates.c.customer_a,
        duplicate_candidates.c.customer_b,
    )
    if action is not None:
        query = query.where(duplicate_candidates.c.suggested_action == action)
    position_query = select(read_model_positions).where(read_model_positions.c.name == NAME)
    with engine.connect() as connection:
        rows = [ReportRow(**row._mapping) for row in connection.execute(query)]
        meta = connection.execute(position_query).first()
    if meta is None:
        return Report(None, None, rows)
    return Report(meta.position, meta.rule_set_version, rows)
