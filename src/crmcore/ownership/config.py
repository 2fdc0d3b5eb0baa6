"""The ownership rules as data: protection periods, the pool's claim rules, assignment.

A section of :class:`~crmcore.config.CrmConfig`. Every number has a default from the
spec and a reason; :attr:`OwnershipConfig.rule_set_version` is a digest of them all,
recorded on every ownership event and adopted as an event of its own when it changes,
so an audit knows which rules were in force for each decision.
"""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from crmcore.config_section import Section, rule_digest


class AssignmentFilter(StrEnum):
    """A filter narrows the eligible reps to those matching the customer, if any match."""

    TIER = "tier"
    REGION = "region"
    INDUSTRY = "industry"
    PRODUCT_LINE = "product_line"
    CHANNEL = "channel"


class AssignmentPicker(StrEnum):
    """How one rep is picked among the eligible ones that passed the filters."""

    ROUND_ROBIN = "round_robin"
    WORKLOAD = "workload"
    PERFORMANCE = "performance"


class SlaAction(StrEnum):
    """What the sweeper does with an assigned customer nobody contacted in time."""

    REASSIGN = "reassign"
    ESCALATE = "escalate"


class AssignmentConfig(Section):
    """How ``assign`` without a rep chooses one: filters in order, then a picker."""

    filters: tuple[AssignmentFilter, ...] = Field(
        default=(AssignmentFilter.TIER, AssignmentFilter.REGION, AssignmentFilter.INDUSTRY),
        description=(
            "Applied in order; each keeps the reps that match the customer (region, "
            "industry, product line, channel = the customer's source, tier = big accounts "
            "to senior reps) and is skipped when none match, so a customer is never left "
            "unassigned because no rep covers its city."
        ),
    )
    picker: AssignmentPicker = Field(
        default=AssignmentPicker.WORKLOAD,
        description=(
            "round_robin (next rep after the last one this picker chose), workload (fewest "
            "open customers), performance (most weight per open customer). Ties go to the "
            "smallest rep id, so the same history always picks the same rep."
        ),
    )
    senior_tier: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Reps of this tier or above take the big accounts (the tier filter).",
    )
    big_account_tiers: tuple[str, ...] = Field(
        default=("key", "strategic"),
        description="Account tiers (given to assign) that count as big accounts.",
    )


class OwnershipConfig(Section):
    """Who may own a customer, for how long, and how the public pool (公海) works."""

    new_protection_days: float = Field(
        default=7,
        gt=0,
        le=365,
        description=(
            "Protection after an assignment, claim or transfer (新客保护期, the spec says "
            "3-7 days): long enough for a first meeting, short enough that a neglected "
            "customer goes back to the pool within a week."
        ),
    )
    follow_up_protection_days: float = Field(
        default=30,
        gt=0,
        le=365,
        description="Protection a valid follow-up by the owner renews (from its time).",
    )
    opportunity_protection_days: float = Field(
        default=60,
        gt=0,
        le=730,
        description="Protection while the owner has an open opportunity with the customer.",
    )
    won_protection_days: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Protection after a won deal; none (the default) means it does not expire: a "
            "paying customer is kept by its account manager until released or transferred."
        ),
    )
    registrant_becomes_owner: bool = Field(
        default=True,
        description=(
            "A customer entered by an active rep with room is assigned to them in the same "
            "save (rule registrant: 谁录入谁跟进). Other actors (an import job, an admin) "
            "leave it unassigned for crm assign."
        ),
    )
    response_sla_hours: float = Field(
        default=48,
        gt=0,
        le=24 * 30,
        description=(
            "An assigned customer must get a valid follow-up within this many hours, or "
            "the sweeper applies sla_action."
        ),
    )
    sla_action: SlaAction = Field(
        default=SlaAction.REASSIGN,
        description=(
            "reassign: the rules choose another rep; escalate: the team's supervisor is "
            "named on an Escalated event and the owner keeps the customer."
        ),
    )
    claim_contact_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="A claimed customer goes back to the pool unless contacted within this.",
    )
    daily_claim_quota: int = Field(
        default=3,
        ge=0,
        le=1000,
        description="Claims from the pool per rep per local day; stops pool hoarding.",
    )
    cooldown_days: float = Field(
        default=7,
        ge=0,
        le=365,
        description=(
            "After a customer leaves a rep (released or recycled), that rep may not claim "
            "it back for this long: releasing to reset protection is not a loophole."
        ),
    )
    default_capacity: int = Field(
        default=200,
        ge=1,
        le=1_000_000,
        description="Open customers a rep may hold when added without --capacity.",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The business's time zone: where a claim quota's day begins and ends.",
    )
    data_stewards: tuple[str, ...] = Field(
        default=(),
        description=(
            "Actors who may change any customer's sales data besides its owner, "
            "collaborators and the owner's team supervisors (an admin, an import job). "
            "Empty by default."
        ),
    )
    sweep_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description=(
            "Customers the sweeper recycles per atomic save. Each batch is saved whole or "
            "not at all; a second sweeper racing it loses the batch and re-reads it."
        ),
    )
    assignment: AssignmentConfig = Field(default_factory=AssignmentConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # A lookup, not a scan of available_timezones() (milliseconds per config).
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rule_set_version(self) -> str:
        """A digest of every ownership rule; each decision records the one it used."""
        return rule_digest(self.model_dump_json())
