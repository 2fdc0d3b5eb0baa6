"""Stage moves through the configured pipeline: pure decisions, each explained.

A move forward needs the gate of the stage entered and of every open stage passed on
the way; a configured skip whose condition holds waives the gates of the stages it
skips. A move back to an earlier open stage needs nothing. A won or lost opportunity
stays closed. A refusal names every missing field with the stage that asks for it.

>>> from crmcore.opportunities.config import OpportunityConfig
>>> plan_move(OpportunityConfig(), "initial_contact", "needs_confirmed", {"need": "CRM"}, set())
Move(from_stage='initial_contact', to_stage='needs_confirmed', passed=(), via='gate')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from crmcore.errors import OpportunityRefused, ValidationFailed
from crmcore.opportunities.config import OpportunityConfig, SkipCondition, StageOutcome


@dataclass(frozen=True)
class Move:
    """A stage move the pipeline allows: what it passes and by which rule (``gate``,
    ``skip:<name>`` or ``back``)."""

    from_stage: str
    to_stage: str
    passed: tuple[str, ...]
    via: str


def plan_move(
    config: OpportunityConfig,
    current: str,
    target: str,
    details: Mapping[str, str],
    facts: Collection[SkipCondition],
) -> Move:
    """The move from ``current`` to ``target`` given the opportunity's fields, or
    OpportunityRefused (``closed``, ``same_stage``, ``gate``)."""
    names = [stage.name for stage in config.stages]
    entered = config.stage(target)
    if entered is None:
        raise ValidationFailed("to", f"{target!r} is not a stage ({', '.join(names)})")
    now = config.stage(current)
    if now is None or now.outcome is not StageOutcome.OPEN:
        raise OpportunityRefused("closed", f"the opportunity is closed ({current})")
    if target == current:
        raise OpportunityRefused("same_stage", f"the opportunity is already in {current}")
    here, there = names.index(current), names.index(target)
    if entered.outcome is StageOutcome.OPEN and there < here:
        return Move(current, target, (), "back")
    passed: tuple[str, ...] = ()
    if entered.outcome is not StageOutcome.LOST:
        passed = tuple(
            stage.name
            for stage in config.stages[here + 1 : there]
            if stage.outcome is StageOutcome.OPEN
        )
    via = "gate"
    for skip in config.skips:
        if skip.from_stage == current and skip.to == target and skip.when in facts:
            via, passed = f"skip:{skip.name}", ()
            break
    missing = [
        (name, field)
        for name in (*passed, target)
        for field in config.stage(name).requires  # type: ignore[union-attr]
        if not details.get(field)
    ]
    if missing:
        by_stage: dict[str, list[str]] = {}
        for name, field in missing:
            by_stage.setdefault(name, []).append(field)
        said = "; ".join(f"{name} needs {', '.join(fields)}" for name, fields in by_stage.items())
        raise OpportunityRefused(
            "gate", f"cannot enter {target}: {said}", missing=[f for _, f in missing]
        )
    return Move(current, target, passed, via)
