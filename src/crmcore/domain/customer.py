"""The Customer aggregate: who the customer is and which identity keys it holds.

Command methods check and compute; event ``apply`` methods only assign, because they
run again on every replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain import customer_erasure, customer_merges, customer_touches
from crmcore.domain.base import CrmEvent, EventContext
from crmcore.identity import IdentityKey, KeyKind, keys_of_contact

DETAIL_FIELDS = ("company_name", "contact_name", "region", "industry", "source")


class Customer(Aggregate):
    """A company or person the sales team sells to; one record per real customer."""

    if TYPE_CHECKING:
        company_name: str | None
        contact_name: str | None
        region: str | None
        industry: str | None
        source: str | None
        external_id: str | None
        identity_keys: tuple[IdentityKey, ...]
        registered_by: str
        registered_at: datetime
        merged_into: UUID | None
        handed_over: tuple[IdentityKey, ...]
        absorptions: dict[UUID, customer_merges.Absorption]
        lead_arrivals: frozenset[customer_touches.ArrivalMark]
        erased_at: datetime | None
        erased_with: frozenset[UUID]
        converted_leads: frozenset[UUID]

    class Event(CrmEvent):
        pass

    class Registered(Event, Aggregate.Created):
        """A customer was entered for the first time (v1)."""

        company_name: str | None
        contact_name: str | None
        phones: tuple[str, ...]
        emails: tuple[str, ...]
        uscc: str | None
        wechat: str | None
        region: str | None
        industry: str | None
        source: str | None
        external_id: str | None

        def apply(self, customer: Customer) -> None:
            customer.company_name = self.company_name
            customer.contact_name = self.contact_name
            customer.region = self.region
            customer.industry = self.industry
            customer.source = self.source
            customer.external_id = self.external_id
            customer.registered_by = self.actor
            customer.registered_at = self.occurred_at
            customer.identity_keys = keys_of_contact(
                self.phones, self.emails, self.uscc, self.wechat, self.external_id
            )
            customer.merged_into = None
            customer.handed_over = ()
            customer.absorptions = {}
            customer.lead_arrivals = frozenset()
            customer.erased_at = None
            customer.erased_with = frozenset()
            customer.converted_leads = frozenset()

    class ContactDetailsCorrected(Event):
        """Descriptive details were corrected; ``previous`` keeps what they were (v1)."""

        changes: dict[str, str | None]
        previous: dict[str, str | None]

        def apply(self, customer: Customer) -> None:
            for name, value in self.changes.items():
                setattr(customer, name, value)

    class IdentityKeyAdded(Event):
        """The customer now holds one more identity key (v1)."""

        kind: str
        value: str

        def apply(self, customer: Customer) -> None:
            key = IdentityKey(KeyKind(self.kind), self.value)
            customer.identity_keys = (*customer.identity_keys, key)

    class IdentityKeyRemoved(Event):
        """The customer no longer holds an identity key; the key is free again (v1)."""

        kind: str
        value: str

        def apply(self, customer: Customer) -> None:
            key = IdentityKey(KeyKind(self.kind), self.value)
            customer.identity_keys = tuple(k for k in customer.identity_keys if k != key)

    class PossibleDuplicateFlagged(Event):
        """Created although it resembles existing customers: which, how much, why (v1)."""

        entry_path: str
        rule: str
        rule_set_version: str
        candidates: list[dict[str, Any]]

        def apply(self, customer: Customer) -> None:
            pass  # a fact for people and read models; the customer itself is unchanged

    class RecordMerged(Event):
        """A record entered again was attached to this customer instead of creating one.

        ``record`` is what was entered; ``filled`` the details it supplied that the
        customer lacked (existing data is never overwritten by a merge) (v1).
        """

        entry_path: str
        record: dict[str, Any]
        filled: dict[str, str]
        rule: str
        rule_set_version: str
        score: float

        def apply(self, customer: Customer) -> None:
            for name, value in self.filled.items():
                setattr(customer, name, value)

    @classmethod
    def register(
        cls,
        customer_id: UUID,
        *,
        company_name: str | None,
        contact_name: str | None,
        keys: tuple[IdentityKey, ...],
        region: str | None,
        industry: str | None,
        source: str | None,
        external_id: str | None,
        context: EventContext,
    ) -> Customer:
        """Creates the customer; the application has already claimed ``keys`` for it."""
        if company_name is None and contact_name is None:
            raise ValueError("a customer needs a company name or a contact name")
        by_kind: dict[KeyKind, list[str]] = {kind: [] for kind in KeyKind}
        for key in keys:
            by_kind[key.kind].append(key.value)
        if len(by_kind[KeyKind.USCC]) > 1 or len(by_kind[KeyKind.WECHAT]) > 1:
            raise ValueError("register takes at most one USCC and one WeChat id")
        return cls._create(
            cls.Registered,
            id=customer_id,
            company_name=company_name,
            contact_name=contact_name,
            phones=tuple(by_kind[KeyKind.PHONE]),
            emails=tuple(by_kind[KeyKind.EMAIL]),
            uscc=next(iter(by_kind[KeyKind.USCC]), None),
            wechat=next(iter(by_kind[KeyKind.WECHAT]), None),
            region=region,
            industry=industry,
            source=source,
            external_id=external_id,
            **context.fields(),
        )

    def correct_details(self, corrections: dict[str, str], context: EventContext) -> bool:
        """Records the corrections that change something; returns False if none do."""
        unknown = set(corrections) - set(DETAIL_FIELDS)
        if unknown:
            raise ValueError(f"not contact details: {sorted(unknown)}")
        changes = {n: v for n, v in corrections.items() if getattr(self, n) != v}
        if not changes:
            return False
        previous = {n: getattr(self, n) for n in changes}
        self.trigger_event(
            self.ContactDetailsCorrected, changes=changes, previous=previous, **context.fields()
        )
        return True

    def flag_possible_duplicate(
        self,
        *,
        entry_path: str,
        rule: str,
        rule_set_version: str,
        candidates: list[dict[str, Any]],
        context: EventContext,
    ) -> None:
        self.trigger_event(
            self.PossibleDuplicateFlagged,
            entry_path=entry_path,
            rule=rule,
            rule_set_version=rule_set_version,
            candidates=candidates,
            **context.fields(),
        )

    def merge_record(
        self,
        record: dict[str, Any],
        *,
        entry_path: str,
        rule: str,
        rule_set_version: str,
        score: float,
        context: EventContext,
    ) -> dict[str, str]:
        """Keeps the most complete data: fills the details this customer lacks."""
        filled = {
            name: value
            for name in (*DETAIL_FIELDS, "external_id")
            if getattr(self, name) is None and (value := record.get(name))
        }
        self.trigger_event(
            self.RecordMerged,
            entry_path=entry_path,
            record=record,
            filled=filled,
            rule=rule,
            rule_set_version=rule_set_version,
            score=score,
            **context.fields(),
        )
        return filled

    def record_lead_touch(
        self,
        *,
        touch: dict[str, Any],
        record: dict[str, Any],
        rule: str,
        matched_on: list[str],
        routed_to: str | None,
        context: EventContext,
    ) -> None:
        """Keeps a lead capture that the identity check found to be this customer."""
        self.trigger_event(
            customer_touches.LeadTouched,
            touch=touch,
            record=record,
            rule=rule,
            matched_on=sorted(matched_on),
            routed_to=routed_to,
            **context.fields(),
        )

    def record_conversion(self, lead_ids: list[UUID], context: EventContext) -> None:
        """Records the leads that became this customer (their data is its data)."""
        self.trigger_event(customer_touches.LeadConverted, lead_ids=lead_ids, **context.fields())

    def has_arrival(self, mark: customer_touches.ArrivalMark) -> bool:
        """True if a capture with this mark already touched the customer."""
        return mark in self.lead_arrivals

    @property
    def touches(self) -> int:
        """Arrivals of this customer: its registration plus each lead that joined it
        (each a different arrival: the same one captured again records nothing)."""
        return 1 + len(self.lead_arrivals)

    def holds(self, key: IdentityKey) -> bool:
        return key in self.identity_keys

    def add_identity_key(self, key: IdentityKey, context: EventContext) -> None:
        """Records a key the application has claimed for this customer."""
        if self.holds(key):
            raise ValueError(f"{key.label} is already held by this customer")
        self.trigger_event(
            self.IdentityKeyAdded, kind=key.kind.value, value=key.value, **context.fields()
        )

    def remove_identity_key(self, key: IdentityKey, context: EventContext) -> None:
        """Records that this customer gave up ``key``."""
        if not self.holds(key):
            raise ValueError(f"{key.label} is not held by this customer")
        self.trigger_event(
            self.IdentityKeyRemoved, kind=key.kind.value, value=key.value, **context.fields()
        )

    def keys_of(self, kind: KeyKind) -> tuple[str, ...]:
        return tuple(k.value for k in self.identity_keys if k.kind is kind)

    def erase(self, subjects: list[UUID], context: EventContext) -> None:
        """Records the erasure of this customer's personal data (the caller releases
        its personal keys and destroys the subjects' data keys)."""
        if self.erased_at is not None:
            raise ValueError(f"customer {self.id} was erased already")
        self.trigger_event(
            customer_erasure.Erased,
            subjects=subjects,
            personal_keys=len(self.personal_keys),
            **context.fields(),
        )

    @property
    def personal_keys(self) -> tuple[IdentityKey, ...]:
        """The keys that are personal data (``customer_erasure.PERSONAL_KINDS``): released
        when it is erased."""
        return tuple(k for k in self.identity_keys if k.kind in customer_erasure.PERSONAL_KINDS)

    # -- merging and splitting (events in crmcore.domain.customer_merges) ---------------

    @property
    def is_tombstone(self) -> bool:
        return self.merged_into is not None

    def absorb(self, absorbed: Customer, context: EventContext) -> None:
        """Takes over ``absorbed``'s keys (already transferred) and the details we lack."""
        if self.is_tombstone or absorbed.is_tombstone or absorbed.id == self.id:
            raise ValueError("only two different live customers can be merged")
        filled = {
            name: value
            for name in (*DETAIL_FIELDS, "external_id")
            if getattr(self, name) is None and (value := getattr(absorbed, name)) is not None
        }
        self.trigger_event(
            customer_merges.Absorbed,
            absorbed_id=absorbed.id,
            keys=[k.label for k in absorbed.identity_keys if not self.holds(k)],
            filled=filled,
            **context.fields(),
        )

    def merge_into(self, survivor_id: UUID, context: EventContext) -> None:
        """Becomes a tombstone pointing at ``survivor_id``, handing over every key."""
        if self.is_tombstone:
            raise ValueError(f"customer {self.id} is already merged into {self.merged_into}")
        self.trigger_event(
            customer_merges.MergedInto,
            survivor_id=survivor_id,
            keys=[k.label for k in self.identity_keys],
            **context.fields(),
        )

    def split_off(
        self, tombstone: Customer, context: EventContext
    ) -> tuple[tuple[IdentityKey, ...], tuple[IdentityKey, ...]]:
        """Gives back what absorbing ``tombstone`` brought; returns (returned, not held now)."""
        absorption = self.absorptions.get(tombstone.id)
        if absorption is None or tombstone.merged_into != self.id:
            raise ValueError(f"customer {tombstone.id} was not merged into {self.id}")
        returned = tuple(k for k in tombstone.handed_over if self.holds(k))
        lost = tuple(k for k in tombstone.handed_over if not self.holds(k))
        given_back = [k for k in absorption.keys if self.holds(k)]
        reverted = [
            name for name, value in absorption.filled.items() if getattr(self, name) == value
        ]
        self.trigger_event(
            customer_merges.SplitOff,
            absorbed_id=tombstone.id,
            keys=[k.label for k in given_back],
            reverted=reverted,
            **context.fields(),
        )
        return returned, lost

    def restore(
        self,
        keys: tuple[IdentityKey, ...],
        not_restored: tuple[IdentityKey, ...],
        context: EventContext,
    ) -> None:
        """Stops being a tombstone, holding ``keys`` again (transferred back already)."""
        if self.merged_into is None:
            raise ValueError(f"customer {self.id} is not merged into anyone")
        self.trigger_event(
            customer_merges.Restored,
            survivor_id=self.merged_into,
            keys=[k.label for k in keys],
            not_restored=[k.label for k in not_restored],
            **context.fields(),
        )


# Every event that changes what a customer is (its details, its keys, whether it is a
# tombstone). Read models of customers follow exactly these, so a new one is added here.
CUSTOMER_STATE_EVENTS: tuple[type[CrmEvent], ...] = (
    Customer.Registered,
    Customer.ContactDetailsCorrected,
    Customer.IdentityKeyAdded,
    Customer.IdentityKeyRemoved,
    Customer.RecordMerged,
    customer_merges.Absorbed,
    customer_merges.MergedInto,
    customer_merges.SplitOff,
    customer_merges.Restored,
    customer_erasure.Erased,
    customer_touches.LeadConverted,
)
