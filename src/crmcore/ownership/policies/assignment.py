"""Assignment rules (分配规则): which rep a customer goes to when nobody names one.

Filters narrow the eligible reps (active, under capacity, not excluded) to those who
match the customer - and are skipped when nobody matches - then a picker takes one.
Everything is a pure function of the reps' state, the customer and the last rep the
round robin chose, all of which the event history holds: replaying the history to
the same point picks the same rep. :class:`AssignmentPolicy` is the plug: pass an
object with its ``choose`` to ``CrmApplication(assignment=...)`` to route your way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from crmcore.domain.rep import RepProfile
from crmcore.ownership.config import AssignmentConfig, AssignmentFilter, AssignmentPicker


@dataclass(frozen=True)
class RepSnapshot:
    """A rep as assignment sees it."""

    rep_id: str
    profile: RepProfile
    active: bool
    open_count: int

    @property
    def eligible(self) -> bool:
        return self.active and self.open_count < self.profile.capacity


@dataclass(frozen=True)
class CustomerFacts:
    """What of the customer the rules route on (product line and tier come with the
    assign command; channel is the customer's source)."""

    region: str | None = None
    industry: str | None = None
    channel: str | None = None
    product_line: str | None = None
    account_tier: str | None = None


@dataclass(frozen=True)
class Choice:
    rep_id: str
    rule: str


class AssignmentPolicy(Protocol):
    def choose(
        self,
        reps: Sequence[RepSnapshot],
        facts: CustomerFacts,
        last_round_robin: str | None,
    ) -> Choice | None:
        """The rep to assign to among ``reps`` (all of them eligible), or None."""
        ...


def _fold(value: str | None) -> str:
    return (value or "").strip().casefold()


@lru_cache(maxsize=4096)
def _folded(values: tuple[str, ...]) -> tuple[str, ...]:
    """The non-empty folded values (memoised: a sweep asks about every rep per customer,
    and reps' profiles are few)."""
    return tuple(have for value in values if (have := _fold(value)))


def _covers(values: tuple[str, ...], wanted: str | None) -> bool:
    want = _fold(wanted)
    if not want:
        return False
    return any(have in want or want in have for have in _folded(values))


Filter = Callable[[RepSnapshot, CustomerFacts, AssignmentConfig], bool | None]


def _tier(rep: RepSnapshot, facts: CustomerFacts, config: AssignmentConfig) -> bool | None:
    if _fold(facts.account_tier) not in _folded(config.big_account_tiers):
        return None  # not a big account: the filter does not apply
    return rep.profile.tier >= config.senior_tier


FILTERS: dict[AssignmentFilter, Filter] = {
    AssignmentFilter.TIER: _tier,
    AssignmentFilter.REGION: lambda r, f, _: _covers(r.profile.regions, f.region),
    AssignmentFilter.INDUSTRY: lambda r, f, _: _covers(r.profile.industries, f.industry),
    AssignmentFilter.PRODUCT_LINE: lambda r, f, _: _covers(r.profile.product_lines, f.product_line),
    AssignmentFilter.CHANNEL: lambda r, f, _: _covers(r.profile.channels, f.channel),
}


def _round_robin(reps: Sequence[RepSnapshot], last: str | None) -> RepSnapshot:
    ordered = sorted(reps, key=lambda r: r.rep_id)
    after = [r for r in ordered if last is not None and r.rep_id > last]
    return (after or ordered)[0]


def _workload(reps: Sequence[RepSnapshot], _: str | None) -> RepSnapshot:
    return min(reps, key=lambda r: (r.open_count, r.rep_id))


def _performance(reps: Sequence[RepSnapshot], _: str | None) -> RepSnapshot:
    return min(reps, key=lambda r: (-r.profile.weight / (r.open_count + 1), r.rep_id))


PICKERS: dict[AssignmentPicker, Callable[[Sequence[RepSnapshot], str | None], RepSnapshot]] = {
    AssignmentPicker.ROUND_ROBIN: _round_robin,
    AssignmentPicker.WORKLOAD: _workload,
    AssignmentPicker.PERFORMANCE: _performance,
}


class RuleBasedAssignment:
    """The configured filters and picker (``ownership.assignment`` in crm.toml).

    >>> from crmcore.ownership.config import AssignmentConfig
    >>> reps = [RepSnapshot("li", RepProfile(regions=("上海",)), True, 5),
    ...         RepSnapshot("wang", RepProfile(regions=("北京",)), True, 9)]
    >>> RuleBasedAssignment(AssignmentConfig()).choose(reps, CustomerFacts(region="北京市"), None)
    Choice(rep_id='wang', rule='workload by region')
    """

    def __init__(self, config: AssignmentConfig) -> None:
        self.config = config

    def choose(
        self,
        reps: Sequence[RepSnapshot],
        facts: CustomerFacts,
        last_round_robin: str | None,
    ) -> Choice | None:
        pool = [rep for rep in reps if rep.eligible]
        if not pool:
            return None
        applied: list[str] = []
        for name in self.config.filters:
            kept = [rep for rep in pool if FILTERS[name](rep, facts, self.config)]
            if kept:
                applied.append(name.value)
                pool = kept
        picked = PICKERS[self.config.picker](pool, last_round_robin)
        rule = self.config.picker.value + (f" by {','.join(applied)}" if applied else "")
        return Choice(picked.rep_id, rule)
