"""Erasing a customer's personal data on request, without rewriting history.

One save records ``Erased`` on the customer and releases its personal keys (phone,
e-mail, WeChat) from their indexes, so the same person can be registered again and no
index still names them; then the protection destroys the data keys of the customer, of
every customer merged into it and of every lead that became one of them
(crypto-shredding). If the process dies between the two, the customer reads as erased
and running the command again destroys the keys.

A refused registration that matched the customer (``DuplicateAttempt``) is sealed with
the customer's key too, so it goes with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.commands import Command, RequiredNote
from crmcore.errors import CustomerErased, ValidationFailed

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts
    from crmcore.domain import Customer
    from crmcore.personal_data import PersonalDataProtection


class EraseCustomer(Command):
    """Erase a customer's personal data (the data subject asked); ``reason`` says why."""

    customer_id: UUID
    reason: RequiredNote


def erase(
    app: CustomerPorts, command: EraseCustomer, protection: PersonalDataProtection | None
) -> list[UUID]:
    """One attempt at an erasure; returns the subjects whose keys were destroyed."""
    protection = erasable(protection, "customer")
    customer = app.live_customer(command.customer_id)
    # Irreversible: only who may change the customer's data (its owner, collaborators,
    # the owner's supervisors, the data stewards - a DPO is one) may erase it; anyone
    # else is refused, and the attempt recorded.
    app.guard_sales_data(customer.id, command, "erase_customer")
    subjects = _subjects(app, customer)
    if customer.erased_at is None:
        context = app.context_of(command)
        released = []
        for index in app.find_indexes(customer.personal_keys).values():
            if index is not None and index.holder == customer.id and not index.generic:
                index.release(customer.id, context)
                released.append(index)
        customer.erase(subjects, context)
        app.save(customer, *released)
    assert customer.erased_at is not None
    protection.erase(subjects, customer.erased_at)
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


def _subjects(app: CustomerPorts, customer: Customer) -> list[UUID]:
    """The customer, every customer merged into it (through any chain) and every lead
    that became one of them: whose data keys the erasure destroys."""
    found: list[UUID] = [customer.id]
    leads: set[UUID] = set(customer.converted_leads)
    pending = list(customer.absorptions)
    while pending:
        tombstone = app.stored_customer(pending.pop())
        found.append(tombstone.id)
        leads |= tombstone.converted_leads
        pending.extend(tombstone.absorptions)
    return found + sorted(leads, key=str)
