"""The rule set in force at a business time: the last one adopted by then.

Rules are configuration, but changing them is recorded (``RuleSet.Adopted``), so an
audit judges a moment by the rules that governed it, never by today's ``crm.toml``.
Rules adopt on an application's first ownership command, so a moment before the first
adoption is judged by the first rules recorded - and the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.audit.bitemporal import replay
from crmcore.audit.owner_at import Histories
from crmcore.domain.base import CrmEvent
from crmcore.domain.rule_set import RULE_SET_ID
from crmcore.ownership.config import OwnershipConfig


@dataclass(frozen=True)
class RulesInForce:
    """The digest and content of the rules in force, and the event that adopted them
    (None when no rules were ever recorded: the defaults are then assumed)."""

    version: str | None
    rules: dict[str, Any]
    adopted_by: CrmEvent | None
    adopted_after: bool  # the moment predates every recorded rule set

    def ownership(self) -> OwnershipConfig:
        """The ownership rules as a typed section: fields missing from an older rule set
        take today's defaults, fields since removed are ignored."""
        known = OwnershipConfig.model_fields
        return OwnershipConfig.model_validate({k: v for k, v in self.rules.items() if k in known})


def rules_in_force(
    histories: Histories,
    at: datetime,
    known_at: datetime | None = None,
    rule_set_id: UUID = RULE_SET_ID,
) -> RulesInForce:
    """The rule set ``rule_set_id`` in force at business time ``at``, as known at
    ``known_at``."""
    history = histories.history(rule_set_id)
    adopted = replay(history, at, known_at)
    adopted_after = adopted.state is None
    if adopted_after:
        adopted = replay(history[:1], None, known_at)
    if adopted.state is None:
        return RulesInForce(None, {}, None, adopted_after=True)
    return RulesInForce(
        adopted.state.digest, dict(adopted.state.rules), adopted.last, adopted_after
    )
