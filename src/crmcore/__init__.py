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
    OwnershipRefused,
    RefusedByRule,
    RepNotFound,
    ValidationFailed,
)
from crmcore.grouping import GroupCollision, GroupMember, GroupView
from crmcore.identity import IdentityKey, KeyKind, normalise_key
from crmcore.ownership_config import OwnershipConfig
from crmcore.owning import OwnerChange
from crmcore.records import CustomerRecord, OwnershipRecord, RegistrationResult
from crmcore.sales_commands import (
    AddRep,
    AssignCustomer,
    ClaimCustomer,
    FollowUpChannel,
    NoteOpportunity,
    OpportunityStatus,
    RecordFollowUp,
    ReleaseCustomer,
    RepLeaves,
    SetCollaborators,
    TransferCustomer,
)
from crmcore.sales_view import PoolEntry
from crmcore.sweeping import SweepReport

__all__ = [
    "AddIdentityKey",
    "AddRep",
    "AssignCustomer",
    "ClaimCustomer",
    "Clock",
    "ConcurrencyConflict",
    "CorrectContactDetails",
    "CrmApplication",
    "CrmConfig",
    "CrmError",
    "CustomerNotFound",
    "CustomerRecord",
    "DuplicateCustomer",
    "FollowUpChannel",
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
    "NoteOpportunity",
    "OpportunityStatus",
    "OwnerChange",
    "OwnershipConfig",
    "OwnershipRecord",
    "OwnershipRefused",
    "PoolEntry",
    "RecordFollowUp",
    "RefusedByRule",
    "RegisterCustomer",
    "RegistrationResult",
    "ReleaseCustomer",
    "RemoveIdentityKey",
    "RepLeaves",
    "RepNotFound",
    "SetCollaborators",
    "SplitCustomer",
    "SweepReport",
    "SystemClock",
    "TransferCustomer",
    "UnlinkCustomer",
    "ValidationFailed",
    "normalise_key",
    "parse_command",
]
