"""How orders count toward a forecast (``[orders]`` in crm.toml)."""

from __future__ import annotations

from pydantic import Field, field_validator

from crmcore.config_section import Section

_MILESTONES = ("signed", "delivered", "accepted", "invoiced")


class OrderConfig(Section):
    forecast_weights: dict[str, float] = Field(
        default_factory=lambda: {"signed": 0.3, "delivered": 0.4, "accepted": 0.5, "invoiced": 0.7},
        description=(
            "The share of an order's unpaid amount the weighted forecast counts, by the "
            "furthest milestone it reached (what is paid counts in full): a signed "
            "contract is often renegotiated, an accepted delivery rarely."
        ),
    )

    @field_validator("forecast_weights")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(_MILESTONES)
        if unknown:
            raise ValueError(
                f"unknown milestones {sorted(unknown)} (known: {', '.join(_MILESTONES)})"
            )
        if any(not 0 <= weight <= 1 for weight in value.values()):
            raise ValueError("weights are between 0 and 1")
        return value
