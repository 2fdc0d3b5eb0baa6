"""Erasing the personal data of a lead that never became a customer, on request.

One save records ``LeadErased`` and releases every key the lead held (their
``LeadKey`` indexes), then the protection destroys the data keys of the lead and of
every lead merged into it. A lead that became a customer is erased with the customer
(``crm customer erase``: its subjects include the leads converted into it), so it is
refused here, naming the customer. Like a customer's erasure, it needs the book's
protection, may be run only by who may change the lead's data, and running it again
finishes an interrupted one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.commands import Command, RequiredNote
from crmcore.customers.erasure import ErasurePorts, erasable
from crmcore.domain.customer_erasure import erased_subjects
from crmcore.domain.lead import Lead
from crmcore.errors import LeadRefused
from crmcore.leads.key_release import release_lead_keys
from crmcore.leads.merging import live_lead

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts
    from crmcore.personal_data import PersonalDataProtection


class EraseLead(Command):
    """Erase a lead's personal data (the buyer asked); ``reason`` says why."""

    lead_id: UUID
    reason: RequiredNote


def erase_lead(
    app: ErasurePorts, command: EraseLead, protection: PersonalDataProtection | None
) -> list[UUID]:
    """One attempt at a lead's erasure; returns the subjects whose keys were destroyed."""
    protection = erasable(protection, "lead")
    lead = live_lead(app, command.lead_id)
    if lead.converted_to is not None:
        raise LeadRefused(
            "converted",
            f"lead {lead.id} became customer {lead.converted_to}: erase the customer "
            "(crm customer erase), which erases the lead with it",
            lead.converted_to,
        )
    app.guard_sales_data(lead.id, command, "erase_lead")
    subjects = _subjects(app, lead)
    if lead.erased_at is None:
        context = app.context_of(command)
        released = release_lead_keys(app, [lead], context)
        lead.erase(subjects, len(released), context)
        app.save(lead, *released)
    assert lead.erased_at is not None
    app.settle_views()  # as a customer's erasure does (crmcore.customers.erasure)
    protection.erase(erased_subjects(subjects), lead.erased_at)
    return subjects


def _subjects(app: CustomerPorts, lead: Lead) -> list[UUID]:
    """The lead and every lead merged into it, through any chain of merges."""
    found = [lead.id]
    pending = list(lead.absorbed_leads)
    while pending:
        absorbed = app.load(pending.pop())
        if isinstance(absorbed, Lead):
            found.append(absorbed.id)
            pending.extend(absorbed.absorbed_leads)
    return found
