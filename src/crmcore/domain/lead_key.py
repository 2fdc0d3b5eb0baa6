"""The index aggregate that makes one exact key name at most one lead.

The lead-side twin of :class:`~crmcore.domain.IdentityKeyIndex`: its id is a uuid5 of
the key in a namespace of its own, so two processes capturing the same phone (or the
same browser's device fingerprint) write the same aggregate in the same atomic save as
their lead, and the store's optimistic concurrency lets one of them win; the loser's
capture is decided again and joins the winner's lead. Kept apart from the customers'
indexes because a lead is not a customer: a registration must not be refused because
a lead once gave the same phone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext
from crmcore.identity import IdentityKey
from crmcore.identity.keys import PLAIN_KEY_IDS, KeyIds

# Fixed forever: changing it would orphan every stored lead key.
_LEAD_KEY_NAMESPACE = UUID("0c5e3b8e-8f0d-4d8b-bb0e-5a3a1d9e7c42")


def lead_key_id(key: IdentityKey, key_ids: KeyIds = PLAIN_KEY_IDS) -> UUID:
    """The id of the aggregate that makes ``key`` name one lead (keyed like the
    customers' indexes when the book has a secret)."""
    return key_ids.uuid_of(_LEAD_KEY_NAMESPACE, key.label)


class LeadKey(Aggregate):
    """Which lead one exact key names."""

    if TYPE_CHECKING:
        key: str
        lead_id: UUID | None

    class Event(CrmEvent):
        pass

    class Indexed(Event, Aggregate.Created):
        """The first lead to give this key now holds it (v1)."""

        key: str
        lead_id: UUID

        def apply(self, index: LeadKey) -> None:
            index.key = self.key
            index.lead_id = self.lead_id

    class Moved(Event):
        """The lead holding this key was merged into ``to_lead_id`` (v1)."""

        from_lead_id: UUID
        to_lead_id: UUID

        def apply(self, index: LeadKey) -> None:
            index.lead_id = self.to_lead_id

    class Released(Event):
        """The lead holding this key was erased: the key names no lead now (v1)."""

        from_lead_id: UUID

        def apply(self, index: LeadKey) -> None:
            index.lead_id = None

    class Retaken(Event):
        """A released key was given again, by lead ``lead_id`` (v1)."""

        lead_id: UUID

        def apply(self, index: LeadKey) -> None:
            index.lead_id = self.lead_id

    @classmethod
    def index(
        cls,
        key: IdentityKey,
        lead_id: UUID,
        context: EventContext,
        key_ids: KeyIds = PLAIN_KEY_IDS,
    ) -> LeadKey:
        return cls._create(
            cls.Indexed,
            id=lead_key_id(key, key_ids),
            key=key_ids.stored_label(key),
            lead_id=lead_id,
            **context.fields(),
        )

    def move(self, to_lead_id: UUID, context: EventContext) -> None:
        """Points the key at the lead its holder was merged into."""
        self.trigger_event(
            self.Moved, from_lead_id=self.lead_id, to_lead_id=to_lead_id, **context.fields()
        )

    def release(self, context: EventContext) -> None:
        """Frees the key: its lead was erased."""
        assert self.lead_id is not None, "only a held key is released"
        self.trigger_event(self.Released, from_lead_id=self.lead_id, **context.fields())

    def retake(self, lead_id: UUID, context: EventContext) -> None:
        """Gives a released key to ``lead_id``."""
        assert self.lead_id is None, "only a released key is taken again"
        self.trigger_event(self.Retaken, lead_id=lead_id, **context.fields())
