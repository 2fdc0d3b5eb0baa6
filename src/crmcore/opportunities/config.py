"""The opportunity pipeline (``[opportunities]`` in crm.toml): stages, gates, skips.

Gates and skips are data, so a sales operation changes its pipeline without a release;
the section's digest is adopted as a ``RuleSet`` event the first time an opportunity
command runs under it, and every stage move names the digest it was decided under.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from crmcore.config_section import Section, rule_digest

_NAME = r"^[a-z][a-z0-9_]{0,39}$"


class StageOutcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class SkipCondition(StrEnum):
    """Facts the pipeline can test when a stage is skipped."""

    REPEAT_CUSTOMER = "repeat_customer"  # the customer has won an opportunity before


class Stage(Section):
    """One stage; ``requires`` are the fields an opportunity must have to enter it."""

    name: str = Field(pattern=_NAME)
    requires: tuple[str, ...] = ()
    outcome: StageOutcome = StageOutcome.OPEN


class Skip(Section):
    """Enter ``to`` from ``from_stage`` directly when ``when`` holds: the stages between
    are skipped, their gates waived (``to``'s own gate still applies). Written ``from``
    in crm.toml; either name is read, so a dumped configuration loads again."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(pattern=_NAME)
    from_stage: str = Field(alias="from")
    to: str
    when: SkipCondition


_DEFAULT_STAGES = (
    Stage(name="initial_contact"),
    Stage(name="needs_confirmed", requires=("need",)),
    Stage(name="proposal", requires=("budget_range", "decision_maker")),
    Stage(name="negotiation", requires=("proposal_amount",)),
    Stage(name="won", requires=("contract_amount",), outcome=StageOutcome.WON),
    Stage(name="lost", requires=("lost_reason",), outcome=StageOutcome.LOST),
)
_DEFAULT_SKIPS = (
    Skip.model_validate(
        {"name": "repeat_customer", "from": "initial_contact", "to": "negotiation",
         "when": "repeat_customer"}
    ),
)


class DuplicateOpportunityMode(StrEnum):
    WARN = "warn"
    BLOCK = "block"


class OpportunityConfig(Section):
    """The pipeline and the rules around it."""

    stages: tuple[Stage, ...] = Field(
        default=_DEFAULT_STAGES,
        description=(
            "In order; an opportunity opens in the first. Moving forward needs the gate "
            "(requires) of the stage entered and of every stage passed; a won or lost "
            "stage closes it. Moving back to an earlier open stage needs nothing."
        ),
    )
    skips: tuple[Skip, ...] = Field(
        default=_DEFAULT_SKIPS,
        description="Conditional skips, e.g. a repeat customer goes straight to negotiation.",
    )
    duplicate_mode: DuplicateOpportunityMode = Field(
        default=DuplicateOpportunityMode.WARN,
        description=(
            "What a suspected duplicate project does: warn (open it, flag it, record a "
            "collision) or block (refuse, naming the opportunity to continue in)."
        ),
    )
    duplicate_need_similarity: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description=(
            "Need texts at least this similar (rapidfuzz token-set ratio of the words) make "
            "two open opportunities of one customer or group, same product category and "
            "overlapping period, a suspected same project."
        ),
    )
    default_period_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="An opportunity without an expected close date is taken to run this long.",
    )
    stale_days: float = Field(
        default=15,
        gt=0,
        le=365,
        description="An open opportunity not updated for this long is stale: owner and "
        "supervisor are alerted once per staleness.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stages: a stage name appears twice")
        if not self.stages or self.stages[0].outcome is not StageOutcome.OPEN:
            raise ValueError("stages: the first stage must be an open one")
        for outcome in (StageOutcome.WON, StageOutcome.LOST):
            if not any(stage.outcome is outcome for stage in self.stages):
                raise ValueError(f"stages: the pipeline needs a {outcome.value} stage")
        for skip in self.skips:
            for end in (skip.from_stage, skip.to):
                if end not in names:
                    raise ValueError(f"skips: {skip.name} names unknown stage {end!r}")
            if names.index(skip.to) <= names.index(skip.from_stage):
                raise ValueError(f"skips: {skip.name} must go forward")
        return self

    def stage(self, name: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.name == name), None)

    @property
    def rule_set_version(self) -> str:
        """A digest of the pipeline; every stage move records it."""
        return rule_digest(self.model_dump_json(by_alias=True))
