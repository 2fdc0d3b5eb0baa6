"""Aggregates: one module per aggregate, each emitting immutable, past-tense events.

Exports resolve on first use (``crmcore.lazy``): each aggregate's module costs 10-30 ms
to import (its event classes are dataclasses), and a view that reads one aggregate's
events - the customer directory - need not import the other nine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.lazy import lazy_exports

if TYPE_CHECKING:
    from crmcore.domain import customer_merges
    from crmcore.domain.base import CrmEvent, EventContext
    from crmcore.domain.collision import Collision
    from crmcore.domain.customer import CUSTOMER_STATE_EVENTS, Customer
    from crmcore.domain.customer_group import (
        CrossGroupCollisionFlagged,
        CustomerGroup,
        GroupLink,
        GroupRelation,
    )
    from crmcore.domain.duplicate_attempt import DuplicateAttempt
    from crmcore.domain.group_membership import GroupMembership, membership_id
    from crmcore.domain.identity_index import IdentityKeyIndex
    from crmcore.domain.ownership import Ownership, ownership_id
    from crmcore.domain.rep import Rep, RepProfile, rep_aggregate_id
    from crmcore.domain.rule_set import RuleSet

_D = "crmcore.domain."
_HOME = {
    "CUSTOMER_STATE_EVENTS": _D + "customer",
    "Collision": _D + "collision",
    "CrmEvent": _D + "base",
    "CrossGroupCollisionFlagged": _D + "customer_group",
    "Customer": _D + "customer",
    "CustomerGroup": _D + "customer_group",
    "DuplicateAttempt": _D + "duplicate_attempt",
    "EventContext": _D + "base",
    "GroupLink": _D + "customer_group",
    "GroupMembership": _D + "group_membership",
    "GroupRelation": _D + "customer_group",
    "IdentityKeyIndex": _D + "identity_index",
    "Ownership": _D + "ownership",
    "Rep": _D + "rep",
    "RepProfile": _D + "rep",
    "RuleSet": _D + "rule_set",
    "membership_id": _D + "group_membership",
    "ownership_id": _D + "ownership",
    "rep_aggregate_id": _D + "rep",
}

__all__ = [
    "CUSTOMER_STATE_EVENTS",
    "Collision",
    "CrmEvent",
    "CrossGroupCollisionFlagged",
    "Customer",
    "CustomerGroup",
    "DuplicateAttempt",
    "EventContext",
    "GroupLink",
    "GroupMembership",
    "GroupRelation",
    "IdentityKeyIndex",
    "Ownership",
    "Rep",
    "RepProfile",
    "RuleSet",
    "customer_merges",
    "membership_id",
    "ownership_id",
    "rep_aggregate_id",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _HOME)
