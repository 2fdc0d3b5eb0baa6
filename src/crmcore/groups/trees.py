"""Group trees of customers: linking, unlinking, reading a tree and its history, and
the cross-group check a new customer goes through.

Every link or unlink saves, at once, each group it changes and the
:class:`~crmcore.domain.GroupMembership` of each customer that changes group, so the
checks it made (no second parent, no cycle) still hold when it lands: a concurrent
change to any of them fails optimistic concurrency and is decided again.

Collisions across a group (同集团不同部门) are a warning, never a refusal: a subsidiary
is a customer of its own. A new customer collides when it resembles a group member
(a listed candidate of the identity check) or shares its brand (字号: the first
``group_brand_chars`` characters of the name core), and that member is owned by
another rep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from crmcore.commands import LinkCustomer, UnlinkCustomer
from crmcore.domain import (
    CrmEvent,
    Customer,
    CustomerGroup,
    EventContext,
    GroupMembership,
    GroupRelation,
    membership_id,
)
from crmcore.errors import GroupRefused
from crmcore.identity.decide import CandidateMatch
from crmcore.identity.profile import MatchProfile

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


@dataclass(frozen=True)
class GroupMember:
    """One member of a group tree, as a tree is shown (top first, depth-first)."""

    customer_id: UUID
    name: str | None
    parent_id: UUID | None
    relation: GroupRelation | None
    depth: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": str(self.customer_id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "relation": self.relation.value if self.relation else None,
            "depth": self.depth,
        }


@dataclass(frozen=True)
class GroupView:
    group_id: UUID
    root_id: UUID
    members: tuple[GroupMember, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": str(self.group_id),
            "root_id": str(self.root_id),
            "members": [m.to_dict() for m in self.members],
        }


@dataclass(frozen=True)
class GroupCollision:
    """A new customer that looks like part of a group other reps already work."""

    group_id: UUID
    root_id: UUID
    members: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": str(self.group_id),
            "root_id": str(self.root_id),
            "members": list(self.members),
        }


# -- changing trees ---------------------------------------------------------------------


def link(app: CustomerPorts, command: LinkCustomer) -> UUID:
    """One attempt at a link; returns the id of the group both customers are now in."""
    child = app.live_customer(command.child_id)
    parent = app.live_customer(command.parent_id)
    if child.id == parent.id:
        raise GroupRefused("cycle", f"{command.child_id} and {command.parent_id} are one customer")
    context = app.context_of(command)
    memberships = _memberships(app, [child.id, parent.id], context)
    child_group = _group(app, memberships[child.id].group_id)
    if child_group is not None and (above := child_group.parent_of(child.id)) is not None:
        raise GroupRefused(
            "has_parent",
            f"customer {child.id} already hangs below {above.parent_id} in group "
            f"{child_group.id}: unlink it first",
        )
    parent_group = _group(app, memberships[parent.id].group_id)
    if parent_group is not None and child_group is not None and parent_group.id == child_group.id:
        raise GroupRefused(
            "cycle",
            f"customer {parent.id} is below {child.id} in group {parent_group.id}: "
            "the link would close a cycle",
        )
    if parent_group is None:
        parent_group = CustomerGroup.found(app.new_id(), parent.id, {}, context)
    parent_group.link(child.id, parent.id, command.relation, child_group, context)
    moving = child_group.members if child_group is not None else {child.id}
    memberships.update(_memberships(app, [c for c in moving if c not in memberships], context))
    for customer_id in (parent.id, *moving):
        memberships[customer_id].join(parent_group.id, context)
    changed: list[Any] = [parent_group, *memberships.values()]
    if child_group is not None:
        child_group.end(parent_group.id, context)
        changed.append(child_group)
    app.save(*changed)
    return parent_group.id


def unlink(app: CustomerPorts, command: UnlinkCustomer) -> UUID | None:
    """One attempt at an unlink; returns the group the detached subtree now forms
    (None when the customer had nothing below it and now stands alone)."""
    customer = app.live_customer(command.customer_id)
    context = app.context_of(command)
    memberships = _memberships(app, [customer.id], context)
    group = _group(app, memberships[customer.id].group_id)
    if group is None or group.parent_of(customer.id) is None:
        where = f"it tops group {group.id}" if group is not None else "it is in no group"
        raise GroupRefused("not_linked", f"customer {customer.id} hangs below nobody: {where}")
    subtree = group.subtree(customer.id)
    below = {cid: link for cid, link in subtree.items() if link is not None}
    new_group = (
        CustomerGroup.found(app.new_id(), customer.id, below, context, split_from=group.id)
        if below
        else None
    )
    group.unlink(customer.id, new_group.id if new_group else None, context)
    leaving = list(subtree)
    if not group.links:  # the top is alone now: a group of one is no group
        group.end(None, context)
        leaving.append(group.root_id)
    memberships.update(_memberships(app, [c for c in leaving if c not in memberships], context))
    for customer_id in leaving:
        if new_group is not None and customer_id in subtree:
            memberships[customer_id].join(new_group.id, context)
        else:
            memberships[customer_id].leave(context)
    app.save(group, *([new_group] if new_group else []), *memberships.values())
    return new_group.id if new_group else None


def close_membership(
    app: CustomerPorts, absorbed_id: UUID, survivor_id: UUID, context: EventContext
) -> GroupMembership:
    """The absorbed customer's membership, closed by its merge (refused if in a group)."""
    membership = _memberships(app, [absorbed_id], context)[absorbed_id]
    if membership.group_id is not None:
        raise GroupRefused(
            "group_member",
            f"customer {absorbed_id} is in group {membership.group_id}: unlink it before "
            "merging it away, or keep it as the survivor",
        )
    membership.close(survivor_id, context)
    return membership


def reopen_membership(
    app: CustomerPorts, customer_id: UUID, context: EventContext
) -> list[GroupMembership]:
    """The restored customer's membership, reopened by a split (none if never made)."""
    membership = _stored_membership(app, customer_id)
    if membership is None:
        return []
    membership.reopen(context)
    return [membership]


# -- reading trees ----------------------------------------------------------------------


def members_of(app: CustomerPorts, customer_id: UUID) -> tuple[UUID | None, frozenset[UUID]]:
    """The customer's group and every member of it (just the customer when in none),
    without reading the members themselves."""
    customer = app.live_customer(customer_id)
    membership = _stored_membership(app, customer.id)
    group = _group(app, membership.group_id if membership else None)
    if group is None:
        return None, frozenset({customer.id})
    return group.id, frozenset(group.members)


def group_of(app: CustomerPorts, customer_id: UUID) -> GroupView | None:
    """The tree the customer is in, top first, children by name; None if in no group."""
    customer = app.live_customer(customer_id)
    membership = _stored_membership(app, customer.id)
    group = _group(app, membership.group_id if membership else None)
    if group is None:
        return None
    customers = app.load_many(sorted(group.members, key=str))
    names = {
        cid: (c.company_name or c.contact_name) if isinstance(c, Customer) else None
        for cid, c in customers.items()
    }
    children = group.children()
    members: list[GroupMember] = []
    pending: list[tuple[UUID, int]] = [(group.root_id, 0)]
    while pending:
        cid, depth = pending.pop()
        above = group.parent_of(cid)
        parent, relation = (above.parent_id, above.relation) if above else (None, None)
        members.append(GroupMember(cid, names[cid], parent, relation, depth))
        below = sorted(children.get(cid, ()), key=lambda c: (names[c] or "", str(c)))
        pending.extend((c, depth + 1) for c in reversed(below))
    return GroupView(group.id, group.root_id, tuple(members))


def group_history(app: CustomerPorts, customer_id: UUID) -> list[CrmEvent]:
    """Every event of every member of the customer's group (or of the customer alone),
    in recording order: the group-wide read of its history (editing stays per member)."""
    view = group_of(app, customer_id)
    members = [m.customer_id for m in view.members] if view else [customer_id]
    events = [event for member in members for event in app.customer_events(member)]
    events.sort(key=lambda e: (e.timestamp, str(e.originator_id), e.originator_version))
    return events


# -- the cross-group check --------------------------------------------------------------


def cross_group_collisions(
    app: CustomerPorts, profile: MatchProfile, matches: Iterable[CandidateMatch], actor: str
) -> list[GroupCollision]:
    """The groups a new record looks part of whose members ``actor`` does not own."""
    by_group: dict[UUID, list[dict[str, Any]]] = {}
    for member_id, (group_id, evidence) in app.identity.group_evidence(profile, matches).items():
        owner = app.owner_of(member_id)
        if owner is None or owner == actor:
            continue
        by_group.setdefault(group_id, []).append(
            {"customer_id": str(member_id), "owner": owner, **evidence}
        )
    collisions = []
    for group_id, members in sorted(by_group.items(), key=lambda item: str(item[0])):
        group = _group(app, group_id)
        if group is None:  # ended since the index last read the log
            continue
        members.sort(key=lambda m: m["customer_id"])
        collisions.append(GroupCollision(group_id, group.root_id, tuple(members)))
    return collisions


# -- plumbing ---------------------------------------------------------------------------


def _memberships(
    app: CustomerPorts, customer_ids: Iterable[UUID], context: EventContext
) -> dict[UUID, GroupMembership]:
    """Each customer's membership, started (not yet saved) where it has none."""
    ids = list(customer_ids)
    found = app.load_many([membership_id(cid) for cid in ids])
    memberships = {}
    for cid in ids:
        membership = found[membership_id(cid)]
        if membership is None:
            membership = GroupMembership.start(cid, context)
        assert isinstance(membership, GroupMembership)
        if membership.merged_into is not None:
            raise GroupRefused(
                "merged", f"customer {cid} was merged into {membership.merged_into} meanwhile"
            )
        memberships[cid] = membership
    return memberships


def _stored_membership(app: CustomerPorts, customer_id: UUID) -> GroupMembership | None:
    found = app.load(membership_id(customer_id))
    assert found is None or isinstance(found, GroupMembership)
    return found


def _group(app: CustomerPorts, group_id: UUID | None) -> CustomerGroup | None:
    if group_id is None:
        return None
    group = app.load(group_id)
    if not isinstance(group, CustomerGroup) or group.ended_by is not None:
        return None
    return group
