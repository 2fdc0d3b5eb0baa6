"""The group tree (集团/母公司/子公司/分公司/事业部) that links customers of one owner.

A group is one aggregate holding its whole tree, so every question that decides a link
- is the child already below someone, would the link close a cycle - is answered by
aggregates the link then writes: two links that would together close a cycle, or give
a customer two parents, touch the same group and cannot both be saved. Linking the top
of one group below a member of another *folds* the first group into the second (its
members and their links move over) in the same save.

Which group a customer is in is kept by :class:`~crmcore.domain.GroupMembership`, one
small aggregate per customer, written whenever the customer joins or leaves a group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


class GroupRelation(StrEnum):
    """How a member hangs below its parent."""

    SUBSIDIARY = "subsidiary"  # 子公司: a company of its own, owned by the parent
    BRANCH = "branch"  # 分公司 / 办事处 / 分支机构: part of the parent's legal entity
    DIVISION = "division"  # 事业部 / 部门: a unit inside the parent


@dataclass(frozen=True)
class GroupLink:
    parent_id: UUID
    relation: GroupRelation


def links_to_data(links: Mapping[UUID, GroupLink]) -> list[dict[str, str]]:
    """Links as events store them: JSON-ready, in a stable order."""
    return [
        {"customer_id": str(cid), "parent_id": str(link.parent_id), "relation": link.relation}
        for cid, link in sorted(links.items(), key=lambda item: str(item[0]))
    ]


def links_from_data(data: list[dict[str, str]]) -> dict[UUID, GroupLink]:
    return {
        UUID(item["customer_id"]): GroupLink(
            UUID(item["parent_id"]), GroupRelation(item["relation"])
        )
        for item in data
    }


class CustomerGroup(Aggregate):
    """One group tree: its top customer and every member's link to its parent."""

    if TYPE_CHECKING:
        root_id: UUID
        links: dict[UUID, GroupLink]
        ended_by: UUID | None

    class Event(CrmEvent):
        pass

    class Founded(Event, Aggregate.Created):
        """A group began, with ``root_id`` on top and ``links`` below it (v1).

        ``split_from`` names the group a detached subtree came from, else None.
        """

        root_id: UUID
        links: list[dict[str, str]]
        split_from: UUID | None

        def apply(self, group: CustomerGroup) -> None:
            group.root_id = self.root_id
            group.links = links_from_data(self.links)
            group.ended_by = None

    class Linked(Event):
        """``child_id`` now hangs below ``parent_id``; ``brought`` are the links of the
        group it topped until now (``from_group``), which moved here with it (v1)."""

        child_id: UUID
        parent_id: UUID
        relation: str
        brought: list[dict[str, str]]
        from_group: UUID | None

        def apply(self, group: CustomerGroup) -> None:
            group.links = {
                **group.links,
                **links_from_data(self.brought),
                self.child_id: GroupLink(self.parent_id, GroupRelation(self.relation)),
            }

    class Unlinked(Event):
        """``child_id`` and everything below it left this group (v1).

        ``detached`` lists them; ``to_group`` is the group they now form, or None when
        the child left alone.
        """

        child_id: UUID
        parent_id: UUID
        detached: list[str]
        to_group: UUID | None

        def apply(self, group: CustomerGroup) -> None:
            gone = {UUID(cid) for cid in self.detached}
            group.links = {cid: link for cid, link in group.links.items() if cid not in gone}

    class Ended(Event):
        """The group has no tree any more: it was folded into ``into_group`` (its members
        moved there), or its last link was removed (``into_group`` None) (v1)."""

        into_group: UUID | None

        def apply(self, group: CustomerGroup) -> None:
            group.links = {}
            group.ended_by = self.into_group or group.id

    @classmethod
    def found(
        cls,
        group_id: UUID,
        root_id: UUID,
        links: Mapping[UUID, GroupLink],
        context: EventContext,
        split_from: UUID | None = None,
    ) -> CustomerGroup:
        return cls._create(
            cls.Founded,
            id=group_id,
            root_id=root_id,
            links=links_to_data(links),
            split_from=split_from,
            **context.fields(),
        )

    @property
    def members(self) -> frozenset[UUID]:
        return frozenset((self.root_id, *self.links)) if self.ended_by is None else frozenset()

    def parent_of(self, customer_id: UUID) -> GroupLink | None:
        return self.links.get(customer_id)

    def children(self) -> dict[UUID, list[UUID]]:
        """Each member with members below it -> those members."""
        below: dict[UUID, list[UUID]] = {}
        for cid, link in self.links.items():
            below.setdefault(link.parent_id, []).append(cid)
        return below

    def subtree(self, customer_id: UUID) -> dict[UUID, GroupLink | None]:
        """``customer_id`` and every member below it, each with its link (None on top)."""
        children = self.children()
        found: dict[UUID, GroupLink | None] = {customer_id: None}
        pending = [customer_id]
        while pending:
            for child in children.get(pending.pop(), ()):
                found[child] = self.links[child]
                pending.append(child)
        return found

    def link(
        self,
        child_id: UUID,
        parent_id: UUID,
        relation: GroupRelation,
        brought_from: CustomerGroup | None,
        context: EventContext,
    ) -> None:
        """Hangs ``child_id`` (with the group it tops, if any) below ``parent_id``."""
        members = self.members
        if parent_id not in members:
            raise ValueError(f"customer {parent_id} is not in group {self.id}")
        if child_id in members:
            raise ValueError(f"customer {child_id} is already in group {self.id}")
        brought: dict[UUID, GroupLink] = {}
        if brought_from is not None:
            if brought_from.root_id != child_id or brought_from.ended_by is not None:
                raise ValueError(f"customer {child_id} does not top group {brought_from.id}")
            brought = dict(brought_from.links)
        self.trigger_event(
            self.Linked,
            child_id=child_id,
            parent_id=parent_id,
            relation=relation.value,
            brought=links_to_data(brought),
            from_group=brought_from.id if brought_from else None,
            **context.fields(),
        )

    def unlink(self, child_id: UUID, to_group: UUID | None, context: EventContext) -> None:
        link = self.parent_of(child_id)
        if link is None:
            raise ValueError(f"customer {child_id} has no parent in group {self.id}")
        detached = sorted(str(cid) for cid in self.subtree(child_id))
        self.trigger_event(
            self.Unlinked,
            child_id=child_id,
            parent_id=link.parent_id,
            detached=detached,
            to_group=to_group,
            **context.fields(),
        )

    def end(self, into_group: UUID | None, context: EventContext) -> None:
        if self.ended_by is not None:
            raise ValueError(f"group {self.id} has already ended")
        self.trigger_event(self.Ended, into_group=into_group, **context.fields())


class CrossGroupCollisionFlagged(CrmEvent):
    """An event of the new *Customer*: it looks like part of a group whose members other
    reps own (同集团不同部门) - each reps believing theirs is another customer (v1).

    ``members`` lists, per colliding member, its id, its owner and the evidence (a
    similar name with its score and rule, or a shared brand).
    """

    group_id: UUID
    root_id: UUID
    members: list[dict[str, Any]]

    def apply(self, aggregate: Aggregate) -> None:
        pass  # a fact for people and read models; the customer itself is unchanged
