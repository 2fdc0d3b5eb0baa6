"""Merging two existing customers into one, and undoing it.

A merge saves, in one atomic ``save()``, the survivor, the absorbed customer (now a
tombstone) and the index of every key that moves. Registration writes the same key
indexes, so a merge and a registration that race on a key cannot both win: the loser
is decided again from fresh reads - a registration then meets the key at the survivor.

A split is the mirror image, again in one save: the keys the survivor still holds go
back to the tombstone, which is a customer again. Splits go in reverse order of
merges (``split_latest_first``), so each one undoes exactly what its merge did.

A customer in a group tree is not merged away (``group_member``): its place in the
tree would point at a tombstone. The merge closes the absorbed customer's group
membership in the same save, so a link racing the merge conflicts with it.

Follow-up history, opportunities and orders will move with the customer when their
aggregates exist; the events of both customers stay in the store either way
(:meth:`~crmcore.store.CrmStore.customer_events` reads them together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.commands import MergeCustomers, SplitCustomer
from crmcore.customers.erasure import refuse_if_erased
from crmcore.domain import EventContext, IdentityKeyIndex
from crmcore.errors import MergeRefused
from crmcore.groups import trees
from crmcore.identity import IdentityKey

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


def merge(app: CustomerPorts, command: MergeCustomers) -> UUID:
    """One attempt at a merge; returns the survivor's id."""
    survivor = app.live_customer(command.survivor_id)
    absorbed = app.live_customer(command.absorbed_id)
    if survivor.id == absorbed.id:
        raise MergeRefused(
            "same_customer",
            f"{command.absorbed_id} and {command.survivor_id} are already one customer "
            f"({survivor.id})",
        )
    refuse_if_erased(survivor)
    refuse_if_erased(absorbed)
    context = app.context_of(command)
    membership = trees.close_membership(app, absorbed.id, survivor.id, context)
    indexes = _transfer(app, absorbed.identity_keys, absorbed.id, survivor.id, context)
    survivor.absorb(absorbed, context)
    absorbed.merge_into(survivor.id, context)
    app.save(survivor, absorbed, membership, *indexes)
    return survivor.id


def split(app: CustomerPorts, command: SplitCustomer) -> UUID:
    """One attempt at a split; returns the restored customer's id."""
    tombstone = app.stored_customer(command.tombstone_id)
    if tombstone.merged_into is None:
        raise MergeRefused(
            "not_a_tombstone", f"customer {tombstone.id} is not merged into another customer"
        )
    survivor = app.stored_customer(tombstone.merged_into)
    if survivor.merged_into is not None:
        raise MergeRefused(
            "split_latest_first",
            f"{survivor.id}, which absorbed {tombstone.id}, was itself merged into "
            f"{survivor.merged_into} later: split {survivor.id} first",
        )
    context = app.context_of(command)
    returned, lost = survivor.split_off(tombstone, context)
    indexes = _transfer(app, returned, survivor.id, tombstone.id, context)
    tombstone.restore(returned, lost, context)
    if tombstone.id in survivor.erased_with and tombstone.erased_at is None:
        # Erased with its survivor: its data key is gone, so it comes back erased, and
        # so does what was merged into it before (their keys went in the same erasure).
        tombstone.erase(sorted(survivor.erased_with - {survivor.id}, key=str), context)
    memberships = trees.reopen_membership(app, tombstone.id, context)
    app.save(survivor, tombstone, *memberships, *indexes)
    return tombstone.id


def _transfer(
    app: CustomerPorts,
    keys: tuple[IdentityKey, ...],
    from_id: UUID,
    to_id: UUID,
    context: EventContext,
) -> list[IdentityKeyIndex]:
    moved = []
    for key, index in app.find_indexes(keys).items():
        if index is None:
            raise RuntimeError(f"{key.label} is held by {from_id} but has no index")
        if index.generic:
            continue  # listed by many, unique to none: nothing to move
        index.transfer(from_id, to_id, context)
        moved.append(index)
    return moved
