"""What every section of the rules shares: frozen, strict pydantic models, and the digest
a decision records of the rules it followed."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A frozen settings section: unknown keys are errors, defaults are validated too."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def rule_digest(rules_json: str) -> str:
    """A short, stable digest of rules serialised as JSON (a rule-set version)."""
    return hashlib.sha256(rules_json.encode()).hexdigest()[:12]
