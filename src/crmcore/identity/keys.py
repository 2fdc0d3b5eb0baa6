"""Exact identity keys: a kind and a normalised value, with a stable index id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every stored key index.
_KEY_INDEX_NAMESPACE = UUID("6f1d8a52-3c1e-4f4e-9a57-2b0c8e6d7a10")


class KeyKind(StrEnum):
    """The kinds of exact identity key; each has one normaliser."""

    PHONE = "phone"
    EMAIL = "email"
    USCC = "uscc"
    WECHAT = "wechat"
    EXTERNAL_ID = "external_id"
    # Online form leads: the browser's fingerprint and the visit's session. Exact keys
    # for leads (a second form from the same browser is the same buyer); customers hold
    # them only when a lead converts.
    DEVICE = "device"
    SESSION = "session"


_KIND_OF = {kind.value: kind for kind in KeyKind}


@dataclass(frozen=True, order=True, slots=True)
class IdentityKey:
    """A normalised identity key, e.g. ``phone:+8613800138000``.

    Build one through :func:`crmcore.identity.normalise_key`, which guarantees the
    value is normalised; the constructor trusts its caller.
    """

    kind: KeyKind
    value: str

    @classmethod
    def from_label(cls, label: str) -> IdentityKey:
        """The key an event stored as its label (kinds never contain ``:``)."""
        kind, _, value = label.partition(":")
        # A dict lookup, not ``KeyKind(kind)``: a check decodes ~60 labels per record.
        found = _KIND_OF.get(kind)
        if found is None:
            raise ValueError(f"{kind!r} is not a kind of identity key")
        return cls(found, value)

    @property
    def label(self) -> str:
        """The key as people and error messages show it."""
        return f"{self.kind.value}:{self.value}"

    @property
    def index_id(self) -> UUID:
        """The id of the index aggregate that makes this key unique across the store."""
        return uuid5(_KEY_INDEX_NAMESPACE, self.label)


def keys_of_contact(
    phones: Iterable[str],
    emails: Iterable[str],
    uscc: str | None,
    wechat: str | None,
    external_id: str | None = None,
) -> tuple[IdentityKey, ...]:
    """The keys of already-normalised contact fields, in the order registration lists them.

    The source system's id (``external_id``) is a key too: importing the same export
    twice must find every row's customer again, whatever else changed.
    """
    keys = [IdentityKey(KeyKind.PHONE, p) for p in phones]
    keys += [IdentityKey(KeyKind.EMAIL, e) for e in emails]
    if uscc:
        keys.append(IdentityKey(KeyKind.USCC, uscc))
    if wechat:
        keys.append(IdentityKey(KeyKind.WECHAT, wechat))
    if external_id:
        keys.append(IdentityKey(KeyKind.EXTERNAL_ID, external_id))
    return tuple(keys)
