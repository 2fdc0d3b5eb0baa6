"""Protection periods (保护期): how long a customer stays with its owner, and why.

A protection is a kind and an end (None: it does not expire). Renewing takes the
later of the current protection and the offered one, so a follow-up never shortens
the long-term protection of a won account, and a transfer keeps what the customer had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crmcore.domain.ownership import Ownership
from crmcore.ownership.config import OwnershipConfig

NEW = "new"
FOLLOWED_UP = "followed_up"
OPPORTUNITY = "opportunity"
WON = "won"


@dataclass(frozen=True)
class Protection:
    kind: str
    until: datetime | None

    def outlasts(self, other: Protection) -> bool:
        if self.until is None:
            return other.until is not None
        return other.until is not None and self.until > other.until


def held(ownership: Ownership) -> Protection | None:
    """The protection the customer has now (None when nobody owns it)."""
    if ownership.protection is None:
        return None
    return Protection(ownership.protection, ownership.protected_until)


def _ending(kind: str, at: datetime, days: float | None) -> Protection:
    return Protection(kind, None if days is None else at + timedelta(days=days))


def renewed(current: Protection | None, offered: Protection) -> Protection:
    """The later-ending of the two (the current one on a tie)."""
    if current is None or offered.outlasts(current):
        return offered
    return current


def for_new_owner(at: datetime, config: OwnershipConfig) -> Protection:
    """After an assignment, a claim or a transfer."""
    return _ending(NEW, at, config.new_protection_days)


def after_follow_up(at: datetime, config: OwnershipConfig) -> Protection:
    return _ending(FOLLOWED_UP, at, config.follow_up_protection_days)


def for_opportunity(status: str, at: datetime, config: OwnershipConfig) -> Protection | None:
    """An open opportunity protects for longer; a won one long-term; a lost one adds
    nothing."""
    if status == "open":
        return _ending(OPPORTUNITY, at, config.opportunity_protection_days)
    if status == "won":
        return _ending(WON, at, config.won_protection_days)
    return None


def respond_by(at: datetime, hours: float) -> datetime:
    return at + timedelta(hours=hours)


def cooldown_until(at: datetime, config: OwnershipConfig) -> datetime | None:
    return at + timedelta(days=config.cooldown_days) if config.cooldown_days else None
