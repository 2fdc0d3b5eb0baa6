"""The rules crmcore runs by, in one pydantic model with a default and a reason per field.

The model is pure data: ``adapters.settings`` loads it from ``crm.toml`` and ``CRM_*``
environment variables, and ``crm config show`` prints it. Sections are added as the
rules they hold are built (identity matching thresholds, ownership and pool numbers).
"""

from __future__ import annotations

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class IdentityConfig(_Section):
    """How raw contact data becomes identity keys."""

    default_phone_region: str = Field(
        default="CN",
        description=(
            "ISO 3166 region a phone number without a country code is read in. CN because "
            "reps type mainland numbers bare (138 0013 8000, 010-6552 1234)."
        ),
    )

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows")
        return region


class RegistrationConfig(_Section):
    """How registrations are written to the event store."""

    batch_size: int = Field(
        default=100,
        ge=1,
        le=5_000,
        description=(
            "Customers registered per atomic save by bulk paths (demo, import). One save "
            "is one fsync (~1 ms on SQLite), so batching is what makes bulk entry fast; "
            "each command is still checked and reported on its own."
        ),
    )
    max_save_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description=(
            "Times a command is re-decided after losing an optimistic-concurrency race "
            "before ConcurrencyConflict is raised. A lost race on an identity key is "
            "decided as a duplicate on the second attempt, so a few suffice."
        ),
    )


class CrmConfig(_Section):
    """Every rule crmcore applies. Defaults are the documented production defaults."""

    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    registration: RegistrationConfig = Field(default_factory=RegistrationConfig)
