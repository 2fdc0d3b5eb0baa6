"""How far back a command may state its business time (``[audit]`` in crm.toml)."""

from __future__ import annotations

from pydantic import Field

from crmcore.config_section import Section


class AuditConfig(Section):
    backdate_window_days: float = Field(
        default=30,
        ge=0,
        le=3650,
        description=(
            "How many days before the recording time a command's business time "
            "(occurred_at, --at) may lie: a call logged the next morning is normal, a "
            "contract 'signed' last year and entered today is a question for an auditor, "
            "so it is refused. Every event recorded later than it occurred is marked as "
            "back-dated in audit answers, whatever this window."
        ),
    )
