"""crmcore: an event-sourced CRM core that ends sales collisions (撞单).

The public API: :class:`CrmApplication` takes commands and emits events; commands are
validated pydantic models; errors are the named hierarchy in :mod:`crmcore.errors`.

Names are imported on first use (PEP 562): ``import crmcore.config`` or a `crm`
command that needs only the settings does not pay for the identity libraries and
the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.lazy import lazy_exports

if TYPE_CHECKING:
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
        LeadNotFound,
        LeadRefused,
        MergeRefused,
        NotFound,
        OpportunityNotFound,
        OpportunityRefused,
        OrderNotFound,
        OrderRefused,
        OwnershipRefused,
        RefusedByRule,
        RepNotFound,
        ValidationFailed,
    )
    from crmcore.groups.trees import GroupCollision, GroupMember, GroupView
    from crmcore.identity import IdentityKey, KeyKind, normalise_key
    from crmcore.leads.commands import CaptureLead, ConvertLead
    from crmcore.leads.config import LeadChannel, LeadConfig
    from crmcore.leads.conversion import ConversionResult
    from crmcore.leads.records import CaptureResult, LeadRecord
    from crmcore.opportunities.commands import (
        AdvanceOpportunity,
        OpenOpportunity,
        UpdateOpportunity,
    )
    from crmcore.opportunities.config import OpportunityConfig
    from crmcore.opportunities.records import OpportunityRecord
    from crmcore.orders.commands import (
        RecordAcceptance,
        RecordDelivery,
        RecordInvoice,
        RecordPayment,
        SignOrder,
    )
    from crmcore.orders.records import OrderRecord
    from crmcore.ownership.commands import (
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
    from crmcore.ownership.config import OwnershipConfig
    from crmcore.ownership.folded_view import PoolEntry
    from crmcore.ownership.owners import OwnerChange
    from crmcore.ownership.sweeper import SweepReport
    from crmcore.records import CustomerRecord, OwnershipRecord, RegistrationResult

# Where each public name lives (the imports above, for type checkers, say the same).
_HOME: dict[str, str] = {
    "AdvanceOpportunity": "crmcore.opportunities.commands",
    "OpenOpportunity": "crmcore.opportunities.commands",
    "UpdateOpportunity": "crmcore.opportunities.commands",
    "OpportunityRecord": "crmcore.opportunities.records",
    "OpportunityConfig": "crmcore.opportunities.config",
    "OpportunityRefused": "crmcore.errors",
    "OpportunityNotFound": "crmcore.errors",
    "SignOrder": "crmcore.orders.commands",
    "RecordDelivery": "crmcore.orders.commands",
    "RecordAcceptance": "crmcore.orders.commands",
    "RecordInvoice": "crmcore.orders.commands",
    "RecordPayment": "crmcore.orders.commands",
    "OrderRecord": "crmcore.orders.records",
    "OrderRefused": "crmcore.errors",
    "OrderNotFound": "crmcore.errors",
    "AddIdentityKey": "crmcore.commands",
    "AddRep": "crmcore.ownership.commands",
    "AssignCustomer": "crmcore.ownership.commands",
    "CaptureLead": "crmcore.leads.commands",
    "CaptureResult": "crmcore.leads.records",
    "ConversionResult": "crmcore.leads.conversion",
    "ConvertLead": "crmcore.leads.commands",
    "ClaimCustomer": "crmcore.ownership.commands",
    "Clock": "crmcore.clock",
    "ConcurrencyConflict": "crmcore.errors",
    "CorrectContactDetails": "crmcore.commands",
    "CrmApplication": "crmcore.application",
    "CrmConfig": "crmcore.config",
    "CrmError": "crmcore.errors",
    "CustomerNotFound": "crmcore.errors",
    "CustomerRecord": "crmcore.records",
    "DuplicateCustomer": "crmcore.errors",
    "FollowUpChannel": "crmcore.ownership.commands",
    "GroupCollision": "crmcore.groups.trees",
    "GroupMember": "crmcore.groups.trees",
    "GroupRefused": "crmcore.errors",
    "GroupRelation": "crmcore.domain",
    "GroupView": "crmcore.groups.trees",
    "IdentityKey": "crmcore.identity",
    "IdentityKeyNotHeld": "crmcore.errors",
    "KeyKind": "crmcore.identity",
    "LeadChannel": "crmcore.leads.config",
    "LeadConfig": "crmcore.leads.config",
    "LeadNotFound": "crmcore.errors",
    "LeadRefused": "crmcore.errors",
    "LeadRecord": "crmcore.leads.records",
    "LinkCustomer": "crmcore.commands",
    "ManualClock": "crmcore.clock",
    "MergeCustomers": "crmcore.commands",
    "MergeRefused": "crmcore.errors",
    "NotFound": "crmcore.errors",
    "NoteOpportunity": "crmcore.ownership.commands",
    "OpportunityStatus": "crmcore.ownership.commands",
    "OwnerChange": "crmcore.ownership.owners",
    "OwnershipConfig": "crmcore.ownership.config",
    "OwnershipRecord": "crmcore.records",
    "OwnershipRefused": "crmcore.errors",
    "PoolEntry": "crmcore.ownership.folded_view",
    "RecordFollowUp": "crmcore.ownership.commands",
    "RefusedByRule": "crmcore.errors",
    "RegisterCustomer": "crmcore.commands",
    "RegistrationResult": "crmcore.records",
    "ReleaseCustomer": "crmcore.ownership.commands",
    "RemoveIdentityKey": "crmcore.commands",
    "RepLeaves": "crmcore.ownership.commands",
    "RepNotFound": "crmcore.errors",
    "SetCollaborators": "crmcore.ownership.commands",
    "SplitCustomer": "crmcore.commands",
    "SweepReport": "crmcore.ownership.sweeper",
    "SystemClock": "crmcore.clock",
    "TransferCustomer": "crmcore.ownership.commands",
    "UnlinkCustomer": "crmcore.commands",
    "ValidationFailed": "crmcore.errors",
    "normalise_key": "crmcore.identity",
    "parse_command": "crmcore.commands",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _HOME)

__all__ = [
    "AddIdentityKey",
    "AddRep",
    "AdvanceOpportunity",
    "AssignCustomer",
    "CaptureLead",
    "CaptureResult",
    "ClaimCustomer",
    "Clock",
    "ConcurrencyConflict",
    "ConversionResult",
    "ConvertLead",
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
    "LeadChannel",
    "LeadConfig",
    "LeadNotFound",
    "LeadRecord",
    "LeadRefused",
    "LinkCustomer",
    "ManualClock",
    "MergeCustomers",
    "MergeRefused",
    "NotFound",
    "NoteOpportunity",
    "OpenOpportunity",
    "OpportunityConfig",
    "OpportunityNotFound",
    "OpportunityRecord",
    "OpportunityRefused",
    "OpportunityStatus",
    "OrderNotFound",
    "OrderRecord",
    "OrderRefused",
    "OwnerChange",
    "OwnershipConfig",
    "OwnershipRecord",
    "OwnershipRefused",
    "PoolEntry",
    "RecordAcceptance",
    "RecordDelivery",
    "RecordFollowUp",
    "RecordInvoice",
    "RecordPayment",
    "RefusedByRule",
    "RegisterCustomer",
    "RegistrationResult",
    "ReleaseCustomer",
    "RemoveIdentityKey",
    "RepLeaves",
    "RepNotFound",
    "SetCollaborators",
    "SignOrder",
    "SplitCustomer",
    "SweepReport",
    "SystemClock",
    "TransferCustomer",
    "UnlinkCustomer",
    "UpdateOpportunity",
    "ValidationFailed",
    "normalise_key",
    "parse_command",
]
