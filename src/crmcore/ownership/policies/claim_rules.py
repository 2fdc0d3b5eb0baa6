"""The rules a claim from the pool (公海领取) passes, in the order the spec lists them.

Each rule is a function returning the refusal it stands for, or None; the first
refusal wins, so a rep always hears the most fundamental reason. Assignment and
transfer reuse the rules that apply to them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from crmcore.domain.ownership import Ownership
from crmcore.domain.rep import Rep
from crmcore.errors import OwnershipRefused
from crmcore.ownership.config import OwnershipConfig

# (rep, customer) owning a customer the claimed one duplicates, computed only if needed.
DuplicateOwner = Callable[[], tuple[str, UUID] | None]


def rep_refusal(rep: Rep) -> OwnershipRefused | None:
    if not rep.active:
        return OwnershipRefused("rep_inactive", f"{rep.rep_id} has left or is handing over")
    return None


def capacity_refusal(rep: Rep) -> OwnershipRefused | None:
    if rep.open_count >= rep.profile.capacity:
        return OwnershipRefused(
            "capacity",
            f"{rep.rep_id} already holds {rep.open_count} customers, the capacity",
            other_party=rep.rep_id,
        )
    return None


def taking_refusal(rep: Rep) -> OwnershipRefused | None:
    """Why ``rep`` may not take one more customer (gone or full), or None."""
    return rep_refusal(rep) or capacity_refusal(rep)


def refuse(refusal: OwnershipRefused | None) -> None:
    """Raises the refusal a rule returned, if it returned one."""
    if refusal is not None:
        raise refusal


def owner_refusal(
    ownership: Ownership | None, rep_id: str, now: datetime
) -> OwnershipRefused | None:
    """Somebody already owns the customer: ``already_owner``, ``protected`` or ``owned``."""
    if ownership is None or ownership.owner is None:
        return None
    owner = ownership.owner
    if owner == rep_id:
        return OwnershipRefused("already_owner", f"{rep_id} already owns it", other_party=owner)
    if ownership.is_protected(now):
        until = ownership.protected_until
        ending = f"until {until.isoformat()}" if until else "long-term"
        return OwnershipRefused(
            "protected", f"owned by {owner}, protected {ending}", other_party=owner, until=until
        )
    return OwnershipRefused(
        "owned",
        f"owned by {owner}; its protection ran out but the sweeper has not recycled it yet",
        other_party=owner,
    )


def claim_refusal(
    ownership: Ownership | None,
    rep: Rep,
    now: datetime,
    day: str,
    config: OwnershipConfig,
    duplicate_owner: DuplicateOwner,
) -> OwnershipRefused | None:
    """The first rule that refuses ``rep`` claiming the customer at ``now``, or None."""
    refusal = rep_refusal(rep) or owner_refusal(ownership, rep.rep_id, now)
    if refusal is not None:
        return refusal
    duplicate = duplicate_owner()
    if duplicate is not None:
        other, customer_id = duplicate
        return OwnershipRefused(
            "duplicate_owned",
            f"it looks like customer {customer_id}, which {other} owns",
            other_party=other,
        )
    held = ownership.open_opportunity_of_another(rep.rep_id) if ownership else None
    if held is not None:
        opportunity_id, holder = held
        return OwnershipRefused(
            "opportunity_held",
            f"{holder} has an open opportunity {opportunity_id} with it",
            other_party=holder,
        )
    if rep.claims_on(day) >= config.daily_claim_quota:
        return OwnershipRefused(
            "daily_quota",
            f"{rep.rep_id} has claimed {rep.claims_on(day)} customers on {day}, the quota",
        )
    refusal = capacity_refusal(rep)
    if refusal is not None:
        return refusal
    until = ownership.cooldown_of(rep.rep_id, now) if ownership else None
    if until is not None:
        return OwnershipRefused(
            "cooldown",
            f"{rep.rep_id} let it go recently and may claim it again from {until.isoformat()}",
            other_party=rep.rep_id,
            until=until,
        )
    return None
