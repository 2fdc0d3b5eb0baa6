"""Where personal data sits in an event, and the hooks that protect it at rest.

Personal data is found by meaning, not by event type, so a new event is covered the
day it is written: a field named ``phones``, ``emails``, ``wechat`` or ``contact_name``
at any depth (a registration, the ``record`` of a merged entry, a correction's
``changes`` and ``previous``); the ``value`` beside a ``"kind": "phone"`` (an identity
key); and the value of a ``"phone:+86…"`` key label (a merge's list of keys). The relay
masks what leaves the store through this walk; the store's mapper encrypts what it
writes through the same walk (``adapters.pii``), so the two can never disagree on what
is personal.

Company names are not personal data here: they name a business, the identity check
matches them and every report groups by them.

>>> walk = PersonalValues({"phones", "contact_name"}, lambda field, value: value.upper())
>>> walk.apply({"phones": ("+86a",), "contact_name": "li", "keys": ["phone:+86b", "uscc:x"],
...             "record": {"contact_name": "wu"}, "kind": "phone", "value": "+86c"})
{'phones': ('+86A',), 'contact_name': 'LI', 'keys': ['phone:+86B', 'uscc:x'], \
'record': {'contact_name': 'WU'}, 'kind': 'phone', 'value': '+86C'}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import Application

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, Mapper, Transcoder

    from crmcore.identity.keys import KeyIds

PERSONAL_FIELDS = ("phones", "emails", "wechat", "contact_name", "device_id", "session_id")
"""The fields protected at rest, and masked by the relay unless configured otherwise.

A lead form's browser fingerprint and visit session (``device_id``, ``session_id``, and
``device:``/``session:`` key labels) identify a person online as a phone does."""

KEY_FIELDS = {
    "phone": "phones",
    "email": "emails",
    "wechat": "wechat",
    "uscc": "uscc",
    "external_id": "external_id",
    "device": "device_id",
    "session": "session_id",
}
"""The field whose rule governs an identity key of each kind."""

PERSONAL_FIELDS_SET = frozenset(PERSONAL_FIELDS)

KeyRead = tuple[str | None, bytes | None]
"""A subject's row of the data keys' table as a view read it beside its own rows: the
master key's id and the wrapped data key (both None once the subject is erased)."""

PERSONAL_KINDS = frozenset(kind for kind, field in KEY_FIELDS.items() if field in PERSONAL_FIELDS)
"""Kinds of identity key that are personal data (phone, e-mail, WeChat, a lead form's
device and session): sealed at rest, released on erasure. ``KeyKind`` is a StrEnum, so
``key.kind in PERSONAL_KINDS`` holds for those kinds."""

FREE_TEXT = "free_text"
"""The class attribute naming an event's free-text fields (a follow-up's ``content`` and
``outcome``): what a rep typed about a person may carry their phone or name, so these
are sealed at rest like personal fields, under the subject's key. Named per class, not
by field name: ``outcome`` elsewhere is a code (a lead's conversion outcome)."""


def personal_fields_of(cls: type) -> frozenset[str]:
    """The fields sealed at rest in events of ``cls``: the personal fields and the
    class's own free-text fields."""
    free_text: tuple[str, ...] = getattr(cls, FREE_TEXT, ())
    return PERSONAL_FIELDS_SET.union(free_text) if free_text else PERSONAL_FIELDS_SET


NEVER_PERSONAL = frozenset({"timestamp", "occurred_at"})
"""Instants: they contain colons, never an identity-key label."""

ERASED = "[erased]"
"""What a personal value reads as once its subject's key is destroyed."""

Replace = Callable[[str, str], str]
"""``(field, value) -> new value`` for one personal value."""


class PersonalValues:
    """Rebuilds an event's data with every personal value of ``fields`` replaced.

    Containers are copied, never changed in place: the data is often a live event's
    ``__dict__``, which the process still hands to its views after the save.
    """

    def __init__(self, fields: Collection[str], replace: Replace) -> None:
        self._fields = frozenset(fields)
        self._replace = replace

    def apply(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._dict(data)

    def _dict(self, node: Mapping[str, Any]) -> dict[str, Any]:
        kind = node.get("kind")
        key_field = KEY_FIELDS.get(kind) if type(kind) is str else None
        fields = self._fields
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name in fields:
                out[name] = self._governed(name, value)
            elif type(value) is str:
                if name == "value" and key_field in fields:
                    out[name] = self._replace(key_field, value)
                elif ":" in value and name not in NEVER_PERSONAL:
                    out[name] = self._label(value)
                else:
                    out[name] = value
            else:
                out[name] = self._any(value)
        return out

    def _any(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            return self._dict(value)
        if kind is list or kind is tuple:
            items = [self._label(v) if type(v) is str and ":" in v else self._any(v) for v in value]
            return items if kind is list else tuple(items)
        return value

    def _governed(self, field: str, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self._replace(field, value)
        if (kind is list or kind is tuple) and all(type(v) is str for v in value):
            items = [self._replace(field, v) for v in value]
            return items if kind is list else tuple(items)
        return self._any(value)

    def _label(self, text: str) -> str:
        """A ``kind:value`` identity-key label, with its value governed by its kind."""
        kind, colon, value = text.partition(":")
        field = KEY_FIELDS.get(kind) if colon else None
        if field is None or field not in self._fields:
            return text
        return f"{kind}:{self._replace(field, value)}"


class PersonalDataProtection(Protocol):
    """What the store needs of an at-rest protection (``adapters.pii.Vault``)."""

    @property
    def key_ids(self) -> KeyIds:
        """Index ids and stored key values as keyed hashes."""
        ...

    def mapper(self, transcoder: Transcoder) -> Mapper[UUID]:
        """The mapper that encrypts personal values on write and decrypts on read."""
        ...

    def attach(self, recorder: ApplicationRecorder) -> None:
        """Lets the recorder write new data keys in the transaction of their events."""
        ...

    def erase(self, subjects: Collection[UUID], at: datetime) -> None:
        """Destroys the data keys of ``subjects`` (erased at ``at``): their personal
        values read as ERASED from then on."""
        ...

    def seal_value(self, subject: UUID, value: str) -> str:
        """A personal value a read model keeps, sealed under its subject's data key
        (ERASED once the subject is erased): destroying the key erases the view's copy
        in the same instant as the events'."""
        ...

    def open_value(self, subject: UUID, value: str) -> str:
        """A value ``seal_value`` sealed, readable again (ERASED once erased)."""
        ...

    def open_values(
        self, items: Sequence[tuple[UUID, str]], keys: Mapping[UUID, KeyRead] | None = None
    ) -> list[str]:
        """:meth:`open_value` of each (subject, value), in order: a check opens the
        personal halves of dozens of candidates at once. ``keys``: the subjects' rows
        of :attr:`key_table` read with the values (a subject without one is looked up
        as :meth:`open_value` does)."""
        ...

    def prefetch(self, subjects: Collection[UUID]) -> None:
        """Reads the data keys of ``subjects`` in one go (a page of view rows to open)."""
        ...

    @property
    def key_table(self) -> str:
        """The table the wrapped data keys live in, beside the events: ``subject_id``
        (the subject's id as 32 hex digits), ``master_key_id``, ``wrapped`` (both NULL
        once erased). A view in the same database reads its rows' keys in the query
        that reads the rows, instead of a second round trip."""
        ...


def prefetch_keys(mapper: object, stored_events: Sequence[Any]) -> None:
    """Lets a protected store's mapper read the keys a page of the log needs in one go
    before the page is decoded (a view runner, the relay); nothing for a plain store."""
    prefetch = getattr(mapper, "prefetch", None)
    if prefetch is not None:
        prefetch(stored_events)


class ProtectedApplication(Application[UUID]):
    """An eventsourcing application whose mapper and recorder go through ``protection``
    when one is given (set it before ``Application.__init__`` runs)."""

    protection: PersonalDataProtection | None = None

    def construct_mapper(self) -> Mapper[UUID]:
        if self.protection is None:
            return super().construct_mapper()
        return self.protection.mapper(self.construct_transcoder())

    def construct_recorder(self) -> ApplicationRecorder:
        """The recorder, joined to the protection; without one, a recorder that can tell
        (``refuse_unprotected``) refuses a book whose personal data is sealed, which this
        application could not read."""
        recorder = super().construct_recorder()
        if self.protection is not None:
            self.protection.attach(recorder)
        elif (refuse := getattr(recorder, "refuse_unprotected", None)) is not None:
            refuse()
        return recorder
