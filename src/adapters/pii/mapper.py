"""eventsourcing's mapper, sealing personal values with their subject's key.

Only personal values are sealed (``crmcore.personal_data``): who did what and when,
ids, owners and company names stay readable, so the store can still be queried,
audited and replayed without any key - an erased customer's history replays whole,
its personal fields reading ``[erased]``. A value already a keyed hash (an index's
stored key) is left as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from adapters.pii.crypto import SEALED, KeyUnusable, Sealer
from crmcore.domain.customer_erasure import Erased, erased_subjects
from crmcore.errors import ValidationFailed
from crmcore.identity.keys import HASHED
from crmcore.personal_data import ERASED, PersonalValues, personal_fields_of

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol

_SEALED_BYTES = SEALED.encode()
_ERASED_TOPIC = get_topic(Erased)


class DataKeys(Protocol):
    """What the mapper asks of the vault (``adapters.pii.vault.Vault``)."""

    def sealer(self, subject: UUID, *, new: bool) -> Sealer | None: ...

    def opener(self, subject: UUID) -> Sealer | None: ...

    def forget(self, subjects: Collection[UUID], *, erased: bool = False) -> None: ...

    def prefetch(self, subjects: Collection[UUID]) -> None: ...


class PersonalDataMapper(Mapper[UUID]):
    """Seals on ``to_stored_event``, opens on ``to_domain_event``."""

    def __init__(self, transcoder: Transcoder, vault: DataKeys) -> None:
        super().__init__(transcoder)
        self._vault = vault

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        cls = type(domain_event)
        state = vars(domain_event)
        subject = _subject(cls, state)
        new = subject == state["originator_id"] and state["originator_version"] == 1
        sealer: Sealer | None = None
        looked_up = False

        def seal(_field: str, value: str) -> str:
            nonlocal sealer, looked_up
            if value.startswith(HASHED) or value == ERASED:
                return value
            if not looked_up:
                sealer, looked_up = self._vault.sealer(subject, new=new), True
            return ERASED if sealer is None else sealer.seal(value)

        sealed = PersonalValues(personal_fields_of(cls), seal).apply(state)
        originator_id = sealed.pop("originator_id")
        originator_version = sealed.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            sealed["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(cls),
            state=self.transcoder.encode(sealed),
        )

    def prefetch(self, stored_events: Sequence[StoredEvent]) -> None:
        """Loads, in one read, the keys a page of stored events will need (those of the
        events that hold sealed values; a refused duplicate's, sealed under the customer
        it matched, is read when it is decoded)."""
        subjects = {
            e.originator_id
            for e in stored_events
            if _SEALED_BYTES in e.state and isinstance(e.originator_id, UUID)
        }
        self._vault.prefetch(subjects)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if stored_event.topic == _ERASED_TOPIC:
            self._vault.forget(erased_subjects(getattr(event, "subjects", ())), erased=True)
        if _SEALED_BYTES not in stored_event.state:
            return event
        subject = _subject(type(event), vars(event))
        opener: Sealer | None = None
        looked_up = False

        def open_(_field: str, value: str) -> str:
            # Only a personal value can be sealed: the same prefix in free text elsewhere
            # (a reason that quotes one) is left alone and asks for no key.
            nonlocal opener, looked_up
            if not value.startswith(SEALED):
                return value
            try:
                if not looked_up:
                    opener, looked_up = self._vault.opener(subject), True
                return ERASED if opener is None else opener.open(value)
            except KeyUnusable as exc:
                raise ValidationFailed(
                    "pii.master_key",
                    f"event {stored_event.originator_version} of {subject}: {exc}",
                ) from None

        fields = personal_fields_of(type(event))
        opened: dict[str, Any] = PersonalValues(fields, open_).apply(vars(event))
        object.__setattr__(event, "__dict__", opened)
        return event


def _subject(cls: type, state: dict[str, Any]) -> UUID:
    """Whose data key seals the event's personal values: its aggregate's, unless the
    class names another field (``personal_data_of``)."""
    subject = state[getattr(cls, "personal_data_of", "originator_id")]
    assert isinstance(subject, UUID)
    return subject
