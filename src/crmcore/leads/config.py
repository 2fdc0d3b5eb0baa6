"""How leads are scored and routed (``[leads]`` in crm.toml).

Every number here is a term of the score a rep sees explained on the lead: the
defaults follow the seeds (a referral or an exhibition visitor is worth more than an
ad click; a buyer who left a phone number and named a product is ready for a call).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from crmcore.config_section import Section, rule_digest


class LeadChannel(StrEnum):
    """Where a lead came from (the spec's channels, plus a CSV import)."""

    WEB = "web"
    AD = "ad"
    EXHIBITION = "exhibition"
    PHONE = "phone"
    WECHAT = "wechat"
    REFERRAL = "referral"
    IMPORT = "import"


_CHANNEL_POINTS = {
    LeadChannel.REFERRAL: 25,
    LeadChannel.EXHIBITION: 15,
    LeadChannel.PHONE: 15,
    LeadChannel.WEB: 10,
    LeadChannel.WECHAT: 10,
    LeadChannel.AD: 5,
    LeadChannel.IMPORT: 0,
}
_CONTACT_POINTS = {"phone": 20, "email": 10, "wechat": 10, "company_name": 10, "contact_name": 5}


class LeadConfig(Section):
    """The lead score's terms and the threshold that sends a lead to a rep."""

    contact_points: dict[str, int] = Field(
        default_factory=lambda: dict(_CONTACT_POINTS),
        description=(
            "Points for each way to reach or recognise the buyer the lead holds: phone, "
            "email, wechat, company_name, contact_name."
        ),
    )
    intent_points: int = Field(
        default=20, ge=0, le=100, description="Points when the buyer named a product line."
    )
    channel_points: dict[LeadChannel, int] = Field(
        default_factory=lambda: dict(_CHANNEL_POINTS),
        description=(
            "Channel quality: points for the best channel among the lead's touches; a "
            "channel left out scores 0."
        ),
    )
    recency_points: int = Field(
        default=15,
        ge=0,
        le=100,
        description=(
            "Points for a fresh lead: in full when its latest touch happened within "
            "recency_full_hours of being recorded, falling linearly to 0 at recency_days."
        ),
    )
    recency_full_hours: float = Field(default=24, gt=0, le=24 * 365)
    recency_days: float = Field(default=30, gt=0, le=3650)
    touch_points: int = Field(
        default=5,
        ge=0,
        le=100,
        description="Points per touch after the first (a buyer who keeps coming back).",
    )
    touch_points_max: int = Field(default=15, ge=0, le=100)
    assign_at: int = Field(
        default=60,
        ge=0,
        le=1000,
        description=(
            "A lead scoring this or more is assigned to a rep by the assignment rules "
            "(response SLA applies); below, it waits in the lead pool."
        ),
    )

    @field_validator("contact_points")
    @classmethod
    def _known_contacts(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(_CONTACT_POINTS)
        if unknown:
            known = ", ".join(sorted(_CONTACT_POINTS))
            raise ValueError(f"unknown contact terms {sorted(unknown)} (known: {known})")
        if any(points < 0 for points in value.values()):
            raise ValueError("contact points must not be negative")
        return value

    @field_validator("channel_points")
    @classmethod
    def _non_negative(cls, value: dict[LeadChannel, int]) -> dict[LeadChannel, int]:
        if any(points < 0 for points in value.values()):
            raise ValueError("channel points must not be negative")
        return value

    @property
    def rule_set_version(self) -> str:
        """A digest of the scoring rules; each Scored event records it."""
        return rule_digest(self.model_dump_json())
