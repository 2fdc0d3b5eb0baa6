"""Scoring identity decisions against the labels of a generated data set.

A row is *flagged* when the check blocked, warned or merged it; a flag is *right* when
the customer it points at (the target, or the best warned candidate) was created from
a row of the same real-world company. Precision is right flags over all flags, recall
right flags over rows that really were duplicates of a company already entered. A
*wrong block* is a row blocked or merged into a customer of another company: the error
that locks a rep out of a real customer, or silently gives one company another's keys.
Used by ``crm demo`` and ``scripts/bench_identity_quality.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.demo_data import DemoRecord


@dataclass(frozen=True)
class RowOutcome:
    row: DemoRecord
    outcome: str  # created | blocked | warned | merged | invalid | error
    customer_id: UUID | None  # new customer, or the existing one for blocked / merged
    matched: tuple[UUID, ...] = ()
    rule: str | None = None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
    """Precision, recall and F1 overall and per variation kind, and wrong blocks/merges."""
    entity_of: dict[UUID, int] = {}
    for o in outcomes:
        if o.outcome == "created" or o.outcome == "warned":
            assert o.customer_id is not None
            entity_of[o.customer_id] = o.row.entity
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    wrong_blocks: list[dict[str, Any]] = []
    for o in outcomes:
        if o.outcome in ("invalid", "error"):
            continue
        counts = per_kind[o.row.variation]
        counts["rows"] += 1
        counts["duplicates"] += o.row.is_duplicate
        if o.outcome == "created":
            continue
        counts["flagged"] += 1
        pointed = o.matched[0] if o.matched else o.customer_id
        right = pointed is not None and entity_of.get(pointed) == o.row.entity
        counts["right"] += right
        counts[o.outcome] += 1
        if o.outcome in ("blocked", "merged") and not right:
            counts["wrong_blocks"] += 1
            wrong_blocks.append(
                {
                    "variation": o.row.variation,
                    "outcome": o.outcome,
                    "fields": o.row.fields,
                    "rule": o.rule,
                }
            )
    kinds = {kind: _summary(counts) for kind, counts in sorted(per_kind.items())}
    total: Counter[str] = Counter()
    for counts in per_kind.values():
        total.update(counts)
    return {"overall": _summary(total), "by_variation": kinds, "wrong_blocks": wrong_blocks}


def _summary(counts: Counter[str]) -> dict[str, Any]:
    precision = _ratio(counts["right"], counts["flagged"])
    recall = _ratio(counts["right"], counts["duplicates"])
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    return {
        "rows": counts["rows"],
        "true_duplicates": counts["duplicates"],
        "flagged": counts["flagged"],
        "right": counts["right"],
        "blocked": counts["blocked"],
        "warned": counts["warned"],
        "merged": counts["merged"],
        "wrong_blocks": counts["wrong_blocks"],
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
