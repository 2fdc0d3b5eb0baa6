"""Aggregates: one module per aggregate, each emitting immutable, past-tense events."""

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
