"""The events of merging two customers and of undoing it, one pair per side.

A merge writes two events in one save: :class:`Absorbed` on the survivor (it takes the
absorbed customer's identity keys and fills the details it lacked) and
:class:`MergedInto` on the absorbed customer, which becomes a tombstone pointing at
the survivor. Nothing is deleted: both histories stay whole, and a split writes the
mirror pair (:class:`SplitOff`, :class:`Restored`) as new events rather than erasing
the merge - the audit sees the mistake and its correction.

Keys are stored as labels (``phone:+86…``) so an event stays readable on its own. A
generic key (see ``IdentityKeyIndex``) both customers list is not added twice, and a
split leaves the survivor the keys it had before the merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from crmcore.domain.base import CrmEvent
from crmcore.identity import IdentityKey


@dataclass(frozen=True)
class Absorption:
    """What one merge brought the survivor: the details it filled, the keys it added."""

    filled: dict[str, str]
    keys: tuple[IdentityKey, ...]


class Mergeable(Protocol):
    """What these events change on a customer (``crmcore.domain.customer.Customer``,
    which applies them: the protocol keeps the dependency one way)."""

    identity_keys: tuple[IdentityKey, ...]
    merged_into: UUID | None
    handed_over: tuple[IdentityKey, ...]
    absorptions: dict[UUID, Absorption]


def _keys(labels: list[str]) -> tuple[IdentityKey, ...]:
    return tuple(IdentityKey.from_label(label) for label in labels)


class Absorbed(CrmEvent):
    """The survivor took over another customer: its keys, and the details it lacked (v1)."""

    absorbed_id: UUID
    keys: list[str]
    filled: dict[str, str]

    def apply(self, customer: Mergeable) -> None:
        customer.identity_keys = (*customer.identity_keys, *_keys(self.keys))
        for name, value in self.filled.items():
            setattr(customer, name, value)
        customer.absorptions = {
            **customer.absorptions,
            self.absorbed_id: Absorption(dict(self.filled), _keys(self.keys)),
        }


class MergedInto(CrmEvent):
    """This customer was merged into ``survivor_id`` and is now a tombstone (v1).

    ``keys`` are the keys it handed over, which a split gives back.
    """

    survivor_id: UUID
    keys: list[str]

    def apply(self, customer: Mergeable) -> None:
        customer.merged_into = self.survivor_id
        customer.handed_over = _keys(self.keys)
        customer.identity_keys = ()


class SplitOff(CrmEvent):
    """A merge into this customer was undone: it returned the absorbed customer's keys (v1).

    ``reverted`` names the details the merge had filled and that are unchanged since;
    they are empty again. Details edited after the merge are kept.
    """

    absorbed_id: UUID
    keys: list[str]
    reverted: list[str]

    def apply(self, customer: Mergeable) -> None:
        returned = set(_keys(self.keys))
        customer.identity_keys = tuple(k for k in customer.identity_keys if k not in returned)
        for name in self.reverted:
            setattr(customer, name, None)
        customer.absorptions = {
            cid: filled for cid, filled in customer.absorptions.items() if cid != self.absorbed_id
        }


class Restored(CrmEvent):
    """The tombstone is a customer again, with the keys its survivor still held (v1).

    ``not_restored`` lists handed-over keys the survivor had given up since the merge;
    they may belong to someone else now, so they are not taken back.
    """

    survivor_id: UUID
    keys: list[str]
    not_restored: list[str]

    def apply(self, customer: Mergeable) -> None:
        customer.merged_into = None
        customer.handed_over = ()
        customer.identity_keys = _keys(self.keys)
