"""crmcore: an event-sourced CRM core that ends sales collisions (撞单).

The public API: :class:`CrmApplication` takes commands and emits events; commands are
validated pydantic models; errors are the named hierarchy in :mod:`crmcore.errors`.
"""

from crmcore.application import CrmApplication
from crmcore.clock import Clock, ManualClock, SystemClock
from crmcore.commands import (
    AddIdentityKey,
    CorrectContactDetails,
    LinkCustomer,
    MergeCustomers,
    RegisterCustomer,
    RemoveIdentityKey,
    SplitCustomer,
    UnlinkCustomer,
    parse_command,
)
from crmcore.config import CrmConfig
from crmcore.domain import GroupRelation
from crmcore.errors import (
    ConcurrencyConflict,
    CrmError,
    CustomerNotFound,
    DuplicateCustomer,
    GroupRefused,
    IdentityKeyNotHeld,
    MergeRefused,
    NotFound,
    RefusedByRule,
    ValidationFailed,
)
from crmcore.grouping import GroupCollision, GroupMember, GroupView
from crmcore.identity import IdentityKey, KeyKind, normalise_key
from crmcore.records import CustomerRecord, RegistrationResult

__all__ = [
    "AddIdentityKey",
    "Clock",
    "ConcurrencyConflict",
    "CorrectContactDetails",
    "CrmApplication",
    "CrmConfig",
    "CrmError",
    "CustomerNotFound",
    "CustomerRecord",
    "DuplicateCustomer",
    "GroupCollision",
    "GroupMember",
    "GroupRefused",
    "GroupRelation",
    "GroupView",
    "IdentityKey",
    "IdentityKeyNotHeld",
    "KeyKind",
    "LinkCustomer",
    "ManualClock",
    "MergeCustomers",
    "MergeRefused",
    "NotFound",
    "RefusedByRule",
    "RegisterCustomer",
    "RegistrationResult",
    "RemoveIdentityKey",
    "SplitCustomer",
    "SystemClock",
    "UnlinkCustomer",
    "ValidationFailed",
    "normalise_key",
    "parse_command",
]
