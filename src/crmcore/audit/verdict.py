"""A dispute's verdict, and the digest that proves two verdicts are the same.

A verdict is data: the winner, the rule applied, why each other claimant lost, the rule
set in force and the evidence events in order. Its canonical form is JSON with sorted
keys, no insignificant whitespace and UTF-8 text; the digest is the SHA-256 of that
form. Settling the same dispute over the same history - in another process, after the
views were rebuilt, next year - gives the same bytes, so equal digests prove equal
verdicts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crmcore.audit.evidence import Evidence
from crmcore.clock import iso

# The rules a verdict can rest on.
PROTECTION = "protection"
ASSIGNMENT = "assignment"
CLAIM_ORDER = "claim_order"
TRANSFER = "transfer"
FIRST_VALID_TOUCH = "first_valid_touch"
NOBODY = "no_right"
CREDIT_AT_PAYMENT = "credit_at_payment"
CREDIT_AT_MILESTONE = "credit_at_milestone"
NO_MILESTONE = "no_milestone"


@dataclass(frozen=True)
class Verdict:
    """Whose it was: ``winner`` (None: nobody held a right) by ``rule``."""

    subject: dict[str, str]  # customer_id, answered_for; order_id for an order
    claimants: tuple[str, ...]
    at: datetime
    as_known_at: datetime | None
    winner: str | None
    rule: str
    rule_set_version: str | None
    why: str
    losers: dict[str, str]
    evidence: tuple[Evidence, ...]
    shares: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """Everything the digest covers."""
        return {
            "subject": dict(self.subject),
            "claimants": list(self.claimants),
            "at": iso(self.at),
            "as_known_at": iso(self.as_known_at),
            "winner": self.winner,
            "rule": self.rule,
            "rule_set_version": self.rule_set_version,
            "why": self.why,
            "losers": dict(sorted(self.losers.items())),
            "shares": dict(sorted(self.shares.items())),
            "notes": list(self.notes),
            "evidence": [piece.as_dict() for piece in self.evidence],
        }

    def canonical(self) -> str:
        """The verdict's canonical JSON text (see the module docstring)."""
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical().encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {**self.body(), "digest": self.digest}
