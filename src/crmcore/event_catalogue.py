"""The published names of crmcore's events: what services outside see of the log.

Python class names are free to change; these names are not. Each stored event class
has one entry with its public name (``customer.registered``), from which the CloudEvents
``type`` ``com.crmcore.customer.registered.v1`` is formed with the class's version
(eventsourcing's ``class_version``, 1 when absent; a bump needs an upcaster). The entry
also says which customer an event is about, which is the Kafka key that keeps one
customer's events in order.

>>> EVENT_TYPES.of_topic("crmcore.domain.customer:Customer.Registered").type
'com.crmcore.customer.registered.v1'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from crmcore.domain import (
    Collision,
    CrossGroupCollisionFlagged,
    Customer,
    CustomerGroup,
    DuplicateAttempt,
    GroupMembership,
    IdentityKeyIndex,
    Ownership,
    Rep,
    RuleSet,
    customer_merges,
)
from crmcore.domain.customer_erasure import Erased
from crmcore.domain.customer_touches import LeadConverted, LeadTouched
from crmcore.domain.duplicate_dismissal import DuplicateDismissal
from crmcore.domain.lead import Lead
from crmcore.domain.lead_erasure import LeadErased
from crmcore.domain.lead_key import LeadKey
from crmcore.domain.lead_merges import LeadAbsorbed, LeadMergedInto
from crmcore.domain.opportunity import Opportunity
from crmcore.domain.order import Order
from crmcore.errors import CrmError

TYPE_PREFIX = "com.crmcore."
ORIGINATOR = "originator_id"


class UnknownEventType(CrmError):
    """A stored event has no published name: it must be catalogued before it leaves."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            f"event {topic} has no entry in crmcore.event_catalogue; add one (and its "
            "schema with `crm events schemas`) before relaying it"
        )
        self.topic = topic


@dataclass(frozen=True)
class EventType:
    """One published event type: its class, public name, and whom it is about.

    ``customer_field`` names the field holding the customer the event is about
    (``originator_id`` for the customer's own events), or is None when the event is
    about something else (a rep, a group, a rule set), which ``subject_kind`` names.
    """

    event_class: type[DomainEventProtocol[UUID]]
    name: str
    subject_kind: str
    customer_field: str | None

    @property
    def version(self) -> int:
        version: int = getattr(self.event_class, "class_version", 1)
        return version

    @property
    def type(self) -> str:
        """The CloudEvents ``type``: stable name plus version."""
        return f"{TYPE_PREFIX}{self.name}.v{self.version}"

    @property
    def topic(self) -> str:
        """The stored topic (module:qualname) of the event class."""
        return get_topic(self.event_class)

    def customer_of(self, event: DomainEventProtocol[UUID]) -> UUID | None:
        """The customer ``event`` is about, or None when it is about no customer."""
        if self.customer_field is None:
            return None
        value = getattr(event, self.customer_field)
        return value if isinstance(value, UUID) else None


class Catalogue:
    """Every published event type, found by stored topic."""

    def __init__(self, *types: EventType) -> None:
        self._by_topic = {entry.topic: entry for entry in types}
        names = [entry.type for entry in types]
        if len(set(names)) != len(names) or len(self._by_topic) != len(types):
            raise ValueError("event catalogue: a name or a class is listed twice")

    def __iter__(self) -> Iterator[EventType]:
        return iter(sorted(self._by_topic.values(), key=lambda entry: entry.type))

    def __len__(self) -> int:
        return len(self._by_topic)

    def of_topic(self, topic: str) -> EventType:
        try:
            return self._by_topic[topic]
        except KeyError:
            raise UnknownEventType(topic) from None


def _about_customer(event_class: type[DomainEventProtocol[UUID]], name: str) -> EventType:
    field = ORIGINATOR if name.startswith("customer.") else "customer_id"
    return EventType(event_class, name, "customer", field)


def _about(kind: str, event_class: type[DomainEventProtocol[UUID]], name: str) -> EventType:
    return EventType(event_class, name, kind, None)


EVENT_TYPES = Catalogue(
    _about_customer(Customer.Registered, "customer.registered"),
    _about_customer(Customer.ContactDetailsCorrected, "customer.contact_details_corrected"),
    _about_customer(Customer.IdentityKeyAdded, "customer.identity_key_added"),
    _about_customer(Customer.IdentityKeyRemoved, "customer.identity_key_removed"),
    _about_customer(Customer.PossibleDuplicateFlagged, "customer.possible_duplicate_flagged"),
    _about_customer(Customer.RecordMerged, "customer.record_merged"),
    _about_customer(customer_merges.Absorbed, "customer.absorbed"),
    _about_customer(customer_merges.MergedInto, "customer.merged_into"),
    _about_customer(customer_merges.SplitOff, "customer.split_off"),
    _about_customer(customer_merges.Restored, "customer.restored"),
    _about_customer(Erased, "customer.erased"),
    _about_customer(CrossGroupCollisionFlagged, "customer.cross_group_collision_flagged"),
    _about_customer(Ownership.Started, "ownership.started"),
    _about_customer(Ownership.Assigned, "ownership.assigned"),
    _about_customer(Ownership.Claimed, "ownership.claimed"),
    _about_customer(Ownership.Transferred, "ownership.transferred"),
    _about_customer(Ownership.Released, "ownership.released"),
    _about_customer(Ownership.Recycled, "ownership.recycled"),
    _about_customer(Ownership.HandedOver, "ownership.handed_over"),
    _about_customer(Ownership.Escalated, "ownership.escalated"),
    _about_customer(Ownership.FollowedUp, "ownership.followed_up"),
    _about_customer(Ownership.CollaboratorsChanged, "ownership.collaborators_changed"),
    _about_customer(Ownership.OpportunityNoted, "ownership.opportunity_noted"),
    _about_customer(Collision.Recorded, "collision.recorded"),
    _about_customer(GroupMembership.Started, "group_membership.started"),
    _about_customer(GroupMembership.Joined, "group_membership.joined"),
    _about_customer(GroupMembership.Left, "group_membership.left"),
    _about_customer(GroupMembership.Closed, "group_membership.closed"),
    _about_customer(GroupMembership.Reopened, "group_membership.reopened"),
    _about_customer(IdentityKeyIndex.Created, "identity_key.indexed"),
    _about_customer(IdentityKeyIndex.Claimed, "identity_key.claimed"),
    _about_customer(IdentityKeyIndex.Released, "identity_key.released"),
    EventType(
        IdentityKeyIndex.Transferred, "identity_key.transferred", "customer", "to_customer_id"
    ),
    _about("identity_key", IdentityKeyIndex.Contested, "identity_key.contested"),
    _about("identity_key", IdentityKeyIndex.DeclaredGeneric, "identity_key.declared_generic"),
    _about_customer(Rep.CustomerTaken, "rep.customer_taken"),
    _about("rep", Rep.Joined, "rep.joined"),
    _about("rep", Rep.ProfileChanged, "rep.profile_changed"),
    _about("rep", Rep.HandoverStarted, "rep.handover_started"),
    _about("rep", Rep.Left, "rep.left"),
    _about("rep", Rep.CustomersDropped, "rep.customers_dropped"),
    _about("customer_group", CustomerGroup.Founded, "customer_group.founded"),
    _about("customer_group", CustomerGroup.Linked, "customer_group.linked"),
    _about("customer_group", CustomerGroup.Unlinked, "customer_group.unlinked"),
    _about("customer_group", CustomerGroup.Ended, "customer_group.ended"),
    EventType(
        DuplicateAttempt.Blocked, "duplicate_attempt.blocked", "customer", "existing_customer_id"
    ),
    EventType(
        DuplicateDismissal.Dismissed, "duplicate_pair.dismissed", "customer", "customer_a"
    ),
    _about_customer(LeadTouched, "customer.lead_touched"),
    _about_customer(LeadConverted, "customer.lead_converted"),
    _about("lead", Lead.Captured, "lead.captured"),
    _about("lead", Lead.Touched, "lead.touched"),
    _about("lead", Lead.Scored, "lead.scored"),
    _about("lead", Lead.PossibleCustomerFlagged, "lead.possible_customer_flagged"),
    _about("lead", Lead.Converted, "lead.converted"),
    _about("lead", LeadErased, "lead.erased"),
    _about("lead", LeadAbsorbed, "lead.absorbed"),
    _about("lead", LeadMergedInto, "lead.merged_into"),
    # Keyed by its lead, so a lead's key indexes travel in order with the lead.
    EventType(LeadKey.Indexed, "lead_key.indexed", "lead", "lead_id"),
    EventType(LeadKey.Moved, "lead_key.moved", "lead", "to_lead_id"),
    EventType(LeadKey.Released, "lead_key.released", "lead", "from_lead_id"),
    EventType(LeadKey.Retaken, "lead_key.retaken", "lead", "lead_id"),
    _about("opportunity", Opportunity.Opened, "opportunity.opened"),
    _about("opportunity", Opportunity.Updated, "opportunity.updated"),
    _about("opportunity", Opportunity.Advanced, "opportunity.advanced"),
    _about("opportunity", Opportunity.AdvanceRefused, "opportunity.advance_refused"),
    _about("opportunity", Opportunity.DuplicateSuspected, "opportunity.duplicate_suspected"),
    _about("opportunity", Opportunity.StaleAlerted, "opportunity.stale_alerted"),
    _about("order", Order.Signed, "order.signed"),
    _about("order", Order.Delivered, "order.delivered"),
    _about("order", Order.Accepted, "order.accepted"),
    _about("order", Order.Invoiced, "order.invoiced"),
    _about("order", Order.Paid, "order.paid"),
    _about("rule_set", RuleSet.Started, "rule_set.started"),
    _about("rule_set", RuleSet.Adopted, "rule_set.adopted"),
)
"""Every event crmcore stores, by its published name."""
