"""What the identity check may tell the person who asked.

The check itself always runs against every customer - a rep who cannot see a
colleague's customer must still be stopped from entering it again (the incumbents'
failure). What comes back is cut to the asker: a customer the viewer may not see is
reported as "exists, owned by <rep>" with the rule that fired and nothing else. Scores
and matched features are withheld too, because they leak by probing: a rep who retries
with different contact names until ``contact`` reads 1.0 has read the other customer's
contact person.

Who owns a customer is answered by the application (the registering rep until the
ownership model lands); this module only decides what to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from crmcore.errors import DuplicateCustomer


class Role(StrEnum):
    """How much of the book a viewer sees."""

    REP = "rep"  # their own customers only
    MANAGER = "manager"  # everything
    AUDITOR = "auditor"  # everything, read-only (enforced where commands are taken)


@dataclass(frozen=True)
class Viewer:
    """The person an answer is for."""

    actor: str
    role: Role = Role.REP

    def may_see(self, owner: str | None) -> bool:
        return self.role is not Role.REP or owner == self.actor


OwnerOf = Callable[[UUID], str | None]


def _disclose_match(match: dict[str, Any], viewer: Viewer, owner: str | None) -> dict[str, Any]:
    if viewer.may_see(owner):
        return {**match, "owner": owner, "visible": True}
    return {
        "customer_id": match["customer_id"],
        "owner": owner,
        "visible": False,
        "rule": match["rule"],
        "action": match["action"],
        # The keys the viewer typed themself; naming them says which one collided.
        "shared_keys": match["shared_keys"],
    }


def disclose_refusal(
    refusal: DuplicateCustomer, viewer: Viewer, owner_of: OwnerOf
) -> DuplicateCustomer:
    """The refusal as ``viewer`` may read it; the message names the owner, not the data."""
    owner = owner_of(refusal.existing_customer_id)
    explanation = refusal.explanation
    if explanation is not None:
        explanation = {
            **explanation,
            "matches": [
                _disclose_match(m, viewer, owner_of(UUID(m["customer_id"])))
                for m in explanation["matches"]
            ],
        }
    disclosed = DuplicateCustomer(
        refusal.existing_customer_id,
        refusal.key,
        rule=refusal.rule,
        explanation=explanation,
        other_holders=refusal.other_holders,
    )
    if not viewer.may_see(owner):
        disclosed.args = (
            f"this customer already exists, owned by {owner or 'nobody (public)'} "
            f"({refusal.key or refusal.rule}); ask them or a manager for a handover",
        )
    disclosed.owner = owner
    return disclosed


def disclose_record(record: dict[str, Any], viewer: Viewer, owner: str | None) -> dict[str, Any]:
    """A customer record (``CustomerRecord.to_dict``) as ``viewer`` may read it."""
    if viewer.may_see(owner):
        return {**record, "owner": owner, "visible": True}
    return {"customer_id": record["customer_id"], "owner": owner, "visible": False}


def disclose_collision(collision: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """A cross-group collision (``GroupCollision.to_dict``) as ``viewer`` may read it:
    who owns each colliding member and the kind of evidence, not its score or rule."""
    members = [
        member
        if viewer.may_see(member["owner"])
        else {
            "customer_id": member["customer_id"],
            "owner": member["owner"],
            "evidence": member["evidence"],
        }
        for member in collision["members"]
    ]
    return {**collision, "members": members}
