"""Erasing a customer's personal data on request, without rewriting history.

One save records ``Erased`` on the customer and releases its personal keys (phone,
e-mail, WeChat, device, session) from their indexes, and the lead keys of the leads that
became it, so the same person can be registered or captured again and no index still
names them; then the protection destroys the data keys of the customer, of every
customer merged into it and of every lead that became one of them (crypto-shredding). If
the process dies between the two, the customer reads as erased and running the command
again destroys the keys.

A refused registration that matched the customer (``DuplicateAttempt``) is sealed with
the customer's key too, so it goes with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.commands import Command, RequiredNote
from crmcore.customers.ports import CustomerPorts
from crmcore.domain.customer_erasure import erased_subjects
from crmcore.domain.lead import Lead
from crmcore.errors import CustomerErased, ValidationFailed
from crmcore.leads.key_release import release_lead_keys

if TYPE_CHECKING:
    from crmcore.domain import Customer
    from crmcore.personal_data import PersonalDataProtection


class ErasurePorts(CustomerPorts, Protocol):
    """The customer ports, and the catch-up of the views holding personal data."""

    def settle_views(self) -> None:
        """Brings the read models that hold personal data to the head of the log: an
        erasure calls it after saving its event and before destroying the keys."""
        ...


class EraseCustomer(Command):
    """Erase a customer's personal data (the data subject asked); ``reason`` says why."""

    customer_id: UUID
    reason: RequiredNote


def erase(
    app: ErasurePorts, command: EraseCustomer, protection: PersonalDataProtection | None
) -> list[UUID]:
    """One attempt at an erasure; returns the subjects whose keys were destroyed."""
    protection = erasable(protection, "customer")
    customer = app.live_customer(command.customer_id)
    # Irreversible: only who may change the customer's data (its owner, collaborators,
    # the owner's supervisors, the data stewards - a DPO is one) may erase it; anyone
    # else is refused, and the attempt recorded.
    app.guard_sales_data(customer.id, command, "erase_customer")
    subjects, leads = _subjects(app, customer)
    if customer.erased_at is None:
        context = app.context_of(command)
        released: list[Aggregate] = []
        for index in app.find_indexes(customer.personal_keys).values():
            if index is not None and index.holder == customer.id and not index.generic:
                index.release(customer.id, context)
                released.append(index)
        # The leads that became it name nobody now: the buyer arriving again is a new
        # lead, not a touch refused on an erased customer.
        released.extend(release_lead_keys(app, leads, context))
        customer.erase(subjects, context)
        app.save(customer, *released)
    assert customer.erased_at is not None
    # The views take the erasure while the keys still open what they filed: each drops
    # the subjects' values, so none is left for a later catch-up to clean (and the
    # sealed copies become unreadable with the keys, in this instant, everywhere).
    app.settle_views()
    protection.erase(erased_subjects(subjects), customer.erased_at)
    return subjects


def erasable(
    protection: PersonalDataProtection | None, subject: str
) -> PersonalDataProtection:
    """The book's protection, or the refusal of an erasure on a book without one: its
    personal values are in the events in clear, and events are never rewritten."""
    if protection is None:
        raise ValidationFailed(
            "pii.master_key",
            f"erasure destroys the {subject}'s data key, and this book stores personal "
            "data unencrypted: configure pii.master_key when the book is created",
        )
    return protection


def refuse_if_erased(customer: Customer) -> None:
    """For commands that would give an erased customer personal data again."""
    if customer.erased_at is not None:
        raise CustomerErased(customer.id)


def _subjects(app: CustomerPorts, customer: Customer) -> tuple[list[UUID], list[Lead]]:
    """The customer, every customer merged into it (through any chain) and every lead
    that became one of them: whose data keys the erasure destroys; and those leads."""
    found: list[UUID] = [customer.id]
    lead_ids: set[UUID] = set(customer.converted_leads)
    pending = list(customer.absorptions)
    while pending:
        tombstone = app.stored_customer(pending.pop())
        found.append(tombstone.id)
        lead_ids |= tombstone.converted_leads
        pending.extend(tombstone.absorptions)
    ordered = sorted(lead_ids, key=str)
    loaded = app.load_many(ordered)
    leads = [lead for lead_id in ordered if isinstance(lead := loaded.get(lead_id), Lead)]
    return found + ordered, leads
