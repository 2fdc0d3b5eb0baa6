"""Duplicate-opportunity detection: two reps pushing the "same project" (同一项目).

Two open opportunities are suspected to be one project when they are with the same
customer or one group, in the same product category, over overlapping periods, not
asked for by two different departments (a ``department`` gate field, when both have
one), and their needs (or, lacking a need, their titles) read alike - the seeds'
criteria (需求背景, 提出部门, 产品类别与项目周期). The answer names the
original - the one opened first - and the evidence, for the rep to continue there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz

from crmcore.domain.opportunity import Opportunity
from crmcore.opportunities.config import OpportunityConfig

_HAN = re.compile(r"([\u3400-\u9fff])")


@dataclass(frozen=True)
class SameProject:
    original: Opportunity
    evidence: dict[str, Any]


def period(opportunity: Opportunity, config: OpportunityConfig) -> tuple[date, date]:
    """From the day it opened to its expected close (or the default length)."""
    start = opportunity.opened_at.date()
    if opportunity.expected_close:
        end = date.fromisoformat(opportunity.expected_close)
    else:
        end = start + timedelta(days=config.default_period_days)
    return start, max(start, end)


def similarity(a: str, b: str) -> float:
    """How alike two need texts read, 0-1: the token-set ratio of their words, each
    Chinese character a word (Chinese has no spaces), case and punctuation folded."""
    return fuzz.token_set_ratio(_words(a), _words(b)) / 100


def _differ(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.casefold() != b.casefold())


def _words(text: str) -> str:
    return " ".join(_HAN.sub(r" \1 ", text.casefold()).split())


def same_project(
    new: Opportunity,
    others: Iterable[Opportunity],
    config: OpportunityConfig,
    group_id: UUID | None,
) -> SameProject | None:
    """The open opportunity among ``others`` that ``new`` looks like the same project
    as (the most similar; ties go to the one opened first), or None."""
    start, end = period(new, config)
    best: tuple[float, Opportunity] | None = None
    for other in others:
        if other.id == new.id or other.status != "open":
            continue
        if other.product_category.casefold() != new.product_category.casefold():
            continue
        if _differ(new.details.get("department"), other.details.get("department")):
            continue  # asked for by two departments (purchasing, IT): two projects
        other_start, other_end = period(other, config)
        if other_start > end or start > other_end:
            continue
        score = similarity(new.need or new.title, other.need or other.title)
        if score < config.duplicate_need_similarity:
            continue
        rank = (score, -other.opened_at.timestamp())
        if best is None or rank > (best[0], -best[1].opened_at.timestamp()):
            best = (score, other)
    if best is None:
        return None
    score, original = best
    return SameProject(
        original,
        {
            "same_customer": original.customer_id == new.customer_id,
            "group_id": str(group_id) if group_id else None,
            "customer_id": str(original.customer_id),
            "owner": original.owner,
            "product_category": original.product_category,
            "periods_overlap": True,
            "need_similarity": round(score, 3),
        },
    )
