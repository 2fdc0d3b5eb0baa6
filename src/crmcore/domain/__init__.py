"""Aggregates: one module per aggregate, each emitting immutable, past-tense events."""

from crmcore.domain import customer_merges
from crmcore.domain.base import CrmEvent, EventContext
from crmcore.domain.customer import CUSTOMER_STATE_EVENTS, Customer
from crmcore.domain.duplicate_attempt import DuplicateAttempt
from crmcore.domain.identity_index import IdentityKeyIndex

__all__ = [
    "CUSTOMER_STATE_EVENTS",
    "CrmEvent",
    "Customer",
    "DuplicateAttempt",
    "EventContext",
    "IdentityKeyIndex",
    "customer_merges",
]
