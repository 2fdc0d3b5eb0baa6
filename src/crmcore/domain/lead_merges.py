"""The events of merging two leads found to be one buyer, one per side.

A capture whose keys are held by two leads (the web form gave a phone, the ad form an
e-mail, and the exhibition scan both) shows they were one buyer all along. The lead
captured first survives (the owned one, if only one is owned): :class:`LeadAbsorbed`
on it takes the other's touches and keys and fills the details it lacked, and
:class:`LeadMergedInto` turns the other into a tombstone pointing at it. Nothing is
deleted; both histories stay whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from crmcore.domain.base import CrmEvent
from crmcore.identity import IdentityKey


class MergeableLead(Protocol):
    """What these events change on a lead (``crmcore.domain.lead.Lead`` applies them)."""

    identity_keys: tuple[IdentityKey, ...]
    merged_into: UUID | None
    absorbed_leads: tuple[UUID, ...]

    def take_touches(self, touches: list[dict[str, Any]]) -> None: ...


class LeadAbsorbed(CrmEvent):
    """This lead took over ``absorbed_id``: its touches (each with its own channel, actor
    and business time), its keys (labels) and the details this lead lacked (v1)."""

    absorbed_id: UUID
    touches: list[dict[str, Any]]
    keys: list[str]
    filled: dict[str, str]

    def apply(self, lead: MergeableLead) -> None:
        lead.take_touches(self.touches)
        lead.identity_keys = (
            *lead.identity_keys,
            *(IdentityKey.from_label(label) for label in self.keys),
        )
        for name, value in self.filled.items():
            setattr(lead, name, value)
        lead.absorbed_leads = (*lead.absorbed_leads, self.absorbed_id)


class LeadMergedInto(CrmEvent):
    """This lead was the same buyer as ``survivor_id`` and is now its tombstone (v1)."""

    survivor_id: UUID

    def apply(self, lead: MergeableLead) -> None:
        lead.merged_into = self.survivor_id


def touch_at(touch: dict[str, Any]) -> datetime:
    """A stored touch's business time (touches carried by a merge keep it as text)."""
    return datetime.fromisoformat(touch["at"])
