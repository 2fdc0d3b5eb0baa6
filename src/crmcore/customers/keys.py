"""Changing a registered customer's identity keys and contact details.

Each change of a key saves the customer together with that key's
:class:`~crmcore.domain.IdentityKeyIndex` in one atomic ``save()``, as registration
does, so a key stays unique whichever command races for it. Only the owner (or whom
the ownership rules let) may change an owned customer's data: ``guard_sales_data``
refuses, and records, anyone else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.commands import AddIdentityKey, CorrectContactDetails, RemoveIdentityKey
from crmcore.customers.erasure import refuse_if_erased
from crmcore.domain import EventContext, IdentityKeyIndex
from crmcore.domain.customer_erasure import PERSONAL_KINDS
from crmcore.errors import DuplicateCustomer, IdentityKeyNotHeld
from crmcore.identity import IdentityKey
from crmcore.identity.keys import KeyIds

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


def correct_contact_details(app: CustomerPorts, command: CorrectContactDetails) -> bool:
    """One attempt at the corrections; False when they change nothing."""
    customer = app.live_customer(command.customer_id)
    app.guard_sales_data(customer.id, command, "correct_contact_details")
    if command.contact_name is not None:
        refuse_if_erased(customer)
    changed = customer.correct_details(command.corrections(), app.context_of(command))
    if changed:
        app.save(customer)
    return changed


def add_identity_key(app: CustomerPorts, command: AddIdentityKey) -> None:
    """One attempt at giving the customer a key; DuplicateCustomer if another holds it."""
    customer = app.live_customer(command.customer_id)
    app.guard_sales_data(customer.id, command, "add_identity_key")
    key = command.key
    if customer.holds(key):
        return
    if key.kind in PERSONAL_KINDS:
        refuse_if_erased(customer)
    context = app.context_of(command)
    indexes = app.find_indexes([key])
    held_by = holders([key], indexes)
    if held_by:
        raise DuplicateCustomer(next(iter(held_by)), key.label)
    customer.add_identity_key(key, context)
    app.save(customer, *claim_keys([key], customer.id, indexes, context, app.key_ids))


def remove_identity_key(app: CustomerPorts, command: RemoveIdentityKey) -> None:
    """One attempt at taking a key from the customer and releasing it for anyone."""
    customer = app.live_customer(command.customer_id)
    app.guard_sales_data(customer.id, command, "remove_identity_key")
    key = command.key
    if not customer.holds(key):
        raise IdentityKeyNotHeld(customer.id, key.label)
    index = app.find_index(key)
    if index is None:
        raise RuntimeError(f"{key.label} is held by {customer.id} but has no index")
    context = app.context_of(command)
    customer.remove_identity_key(key, context)
    if index.holder != customer.id:  # a generic key: listed by many, held by none
        app.save(customer)
        return
    index.release(customer.id, context)
    app.save(customer, index)


def claim_keys(
    keys: Sequence[IdentityKey],
    customer_id: UUID,
    indexes: dict[IdentityKey, IdentityKeyIndex | None],
    context: EventContext,
    key_ids: KeyIds,
) -> Iterator[IdentityKeyIndex]:
    """The index of each key, claimed for ``customer_id`` (the caller saw them free).

    A generic key is nobody's to claim: the customer lists it, the index is untouched.
    """
    for key in keys:
        index = indexes.get(key)
        if index is not None and index.generic:
            continue
        if index is None:
            index = IdentityKeyIndex.first_claim(key, customer_id, context, key_ids)
            indexes[key] = index
        else:
            index.claim(customer_id, context)
        yield index


def holders(
    keys: Sequence[IdentityKey], indexes: Mapping[IdentityKey, IdentityKeyIndex | None]
) -> dict[UUID, list[str]]:
    """Customer -> the keys of ``keys`` it holds now (the race-free answer)."""
    held: dict[UUID, list[str]] = {}
    for key in keys:
        index = indexes.get(key)
        if index is not None and index.holder is not None and not index.generic:
            held.setdefault(index.holder, []).append(key.label)
    return held


def is_free(index: IdentityKeyIndex | None) -> bool:
    """True if a customer may list the key: never claimed, released, or generic."""
    return index is None or index.holder is None or index.generic
