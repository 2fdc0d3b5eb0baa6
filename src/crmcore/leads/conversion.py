"""Converting a lead into a customer: the identity check again, then one save.

The lead's record (details, phones, e-mails, USCC, WeChat id) is registered on the
``conversion`` entry path through the same registration every customer goes through,
so the customers' key indexes keep one customer per key however many leads convert,
in whatever order, from however many processes. The check decides per its mode
(``identity.modes.conversion``, default block):

- created or warned: a new customer. The lead's owner becomes its owner in the same
  save, keeping the lead's protection if it outlasts a new owner's; the lead's own
  ownership is handed over (``Ownership.HandedOver``), never sent to the pool.
- merged: the lead is the customer the check found; the lead's owner takes it only if
  nobody owns it, else the lead's ownership ends and a collision names both reps.
- blocked: refused with ``DuplicateCustomer`` naming the customer (the refused attempt
  is recorded, as a registration's is); the lead is unchanged.

Only the lead's owner (or whom the ownership rules let change sales data) converts an
owned lead; a lead converts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.commands import RegisterCustomer
from crmcore.config import DedupMode, EntryPath
from crmcore.customers.registration import register_batch
from crmcore.domain import Collision, Customer, EventContext, Ownership
from crmcore.domain.lead import Lead
from crmcore.errors import LeadRefused
from crmcore.identity import KeyKind
from crmcore.leads.capture import LEAD_OF_OWNED_CUSTOMER
from crmcore.leads.commands import ConvertLead
from crmcore.leads.merging import live_lead
from crmcore.ownership.owners import current_owner, give, load_ownership, load_rep, opened
from crmcore.ownership.policies import protection as periods
from crmcore.records import RegistrationResult

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts

_MAX_KEYS = 10  # of each kind a registration takes


@dataclass(frozen=True)
class ConversionResult:
    """The customer the lead became, how the check decided, and who owns it now."""

    lead_id: UUID
    customer_id: UUID
    outcome: str  # created | warned | merged
    owner: str | None
    registration: RegistrationResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": str(self.lead_id),
            "customer_id": str(self.customer_id),
            "outcome": self.outcome,
            "owner": self.owner,
            "identity": self.registration.decision.to_dict(),
        }


def convert(app: CustomerPorts, command: ConvertLead, mode: DedupMode) -> ConversionResult:
    """One attempt at a conversion; the caller retries it when another writer won."""
    lead = live_lead(app, command.lead_id)
    if lead.converted_to is not None:
        raise LeadRefused(
            "already_converted",
            f"lead {lead.id} already became customer {lead.converted_to}",
            lead.converted_to,
        )
    if lead.erased_at is not None:
        raise LeadRefused(
            "erased",
            f"lead {lead.id} was erased on request: nothing personal is left to convert - "
            "register the customer anew",
        )
    context = app.context_of(command)
    ownership, _ = opened(app, lead.id, context)
    app.guard_sales_data(lead.id, command, "convert_lead")
    registration = _registration(lead, command)
    handover = _Handover(app, lead, ownership, context)
    (result,) = register_batch(
        app,
        [registration],
        EntryPath.CONVERSION,
        mode,
        registrant_owns=False,
        then=handover,
    )
    if result.refusal is not None:
        raise result.refusal
    return ConversionResult(lead.id, result.customer_id, result.outcome, handover.owner, result)


def _registration(lead: Lead, command: ConvertLead) -> RegisterCustomer:
    if not (lead.company_name or lead.contact_name):
        raise LeadRefused(
            "no_name",
            f"lead {lead.id} has no company or contact name; a customer needs one "
            "(capture it again with the name)",
        )

    def values(kind: KeyKind) -> list[str]:
        return [key.value for key in lead.identity_keys if key.kind is kind][:_MAX_KEYS]

    first = lead.touches[0]
    return RegisterCustomer.model_validate(
        {
            "actor": command.actor,
            "occurred_at": command.occurred_at,
            "reason": command.reason,
            "company_name": lead.company_name,
            "contact_name": lead.contact_name,
            "phone": values(KeyKind.PHONE),
            "email": values(KeyKind.EMAIL),
            "uscc": next(iter(values(KeyKind.USCC)), None),
            "wechat": next(iter(values(KeyKind.WECHAT)), None),
            "region": lead.region,
            "industry": lead.industry,
            "source": first.channel,
        }
    )


class _Handover:
    """What the conversion adds to the registration's save once the check decided."""

    def __init__(
        self,
        app: CustomerPorts,
        lead: Lead,
        ownership: Ownership | None,
        context: EventContext,
    ) -> None:
        self.app, self.lead, self.ownership, self.context = app, lead, ownership, context
        self.owner: str | None = ownership.owner if ownership is not None else None

    def __call__(
        self, results: list[RegistrationResult], aggregates: Mapping[UUID, Aggregate]
    ) -> list[Aggregate]:
        (result,) = results
        if result.refusal is not None:
            return []  # blocked: the refused attempt is saved, the lead is untouched
        customer_id, context = result.customer_id, self.context
        self.lead.convert(customer_id, result.outcome, result.decision.rule, context)
        customer = aggregates[customer_id]
        assert isinstance(customer, Customer)
        customer.record_conversion([self.lead.id, *self.lead.absorbed_leads], context)
        saved: list[Aggregate] = [self.lead]
        lead_owner, ownership = self.owner, self.ownership
        if lead_owner is None or ownership is None:
            merged = result.outcome == "merged"
            self.owner = current_owner(self.app, customer_id) if merged else None
            return saved
        kept = periods.held(ownership)
        ownership.record(
            Ownership.HandedOver, context, previous_owner=lead_owner, to_customer_id=customer_id
        )
        rep = load_rep(self.app, lead_owner)
        rep.drop([self.lead.id], "converted", context)
        saved += [ownership, rep]
        target = load_ownership(self.app, customer_id) if result.outcome == "merged" else None
        current = target.owner if target is not None else None
        if current is None:
            given, _ = give(
                self.app,
                target,
                customer_id,
                rep,
                Ownership.Assigned,
                context,
                respond_hours=self.app.config.ownership.response_sla_hours,
                how="converted",
                keeps=kept,
                rule="conversion",
            )
            saved.append(given)
        else:
            self.owner = current
            if current != lead_owner:
                saved.append(self._collision(customer_id, lead_owner, current))
        return saved

    def _collision(self, customer_id: UUID, lead_owner: str, owner: str) -> Collision:
        return Collision.record(
            self.app.new_id(),
            customer_id=customer_id,
            rep=lead_owner,
            attempted="convert_lead",
            rule=LEAD_OF_OWNED_CUSTOMER,
            other_party=owner,
            lost_race=False,
            refused=False,
            detail={"lead_id": str(self.lead.id)},
            context=self.context,
        )
