"""Exact identity keys: a kind and a normalised value, with a stable index id."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

from crmcore.identity.regions import province_slots

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
        """The id of this key's index in a book without a secret (``KeyIds``); commands
        ask their store's ``key_ids``, which knows whether the book has one."""
        return PLAIN_KEY_IDS.index_id(self)


_REMEMBERED_IDS = 50_000

HASHED = "hmac-sha256:"
"""Prefix of a key value stored as its keyed hash (never encrypted again)."""


class KeyIds:
    """The ids of the aggregates that keep keys unique, and the key values they store.

    Without a secret, an index id is a uuid5 of the key's label and the index stores the
    value itself (books created before personal data was protected keep theirs). With
    one, both are an HMAC-SHA256 of the label: uniqueness holds as before - the same
    key, the same id - but nobody without the secret can test a phone number against
    the ids or values in the database.

    >>> plain, keyed = KeyIds(), KeyIds(b"k" * 32)
    >>> key = IdentityKey(KeyKind.PHONE, "+8613800138000")
    >>> plain.index_id(key) == key.index_id, plain.stored_value(key)
    (True, '+8613800138000')
    >>> keyed.index_id(key) == keyed.index_id(key) != key.index_id
    True
    >>> keyed.stored_value(key).startswith(HASHED)
    True
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret
        # A registration asks a key's index id a dozen times (read ahead, claim, file):
        # a uuid5 or HMAC each time was ~5% of a batched registration.
        self._index_ids: dict[IdentityKey, UUID] = {}
        # The identity view's blocking keys are hashed with a key of their own, derived
        # from the secret: a plain 64-bit hash of "p:86:1380|0013" is reversed by trying
        # the hundred million values a phone's two parts can take.
        self._block_key = (
            None
            if secret is None
            else hmac.new(secret, b"crmcore:identity-blocks", hashlib.sha256).digest()
        )
        self._block_hashes: dict[str, int] = {}

    def _digest(self, namespace: UUID, label: str) -> bytes:
        assert self._secret is not None
        message = namespace.bytes + label.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def uuid_of(self, namespace: UUID, label: str) -> UUID:
        """uuid5 of ``label`` in ``namespace``, or a version-5-shaped HMAC of it."""
        if self._secret is None:
            return uuid5(namespace, label)
        return UUID(bytes=self._digest(namespace, label)[:16], version=5)

    def index_id(self, key: IdentityKey) -> UUID:
        found = self._index_ids.get(key)
        if found is None:
            if len(self._index_ids) >= _REMEMBERED_IDS:
                self._index_ids.clear()  # bounded: a long import must not grow it
            found = self._index_ids[key] = self.uuid_of(_KEY_INDEX_NAMESPACE, key.label)
        return found

    def stored_value(self, key: IdentityKey) -> str:
        """What the key's index records as its value."""
        if self._secret is None:
            return key.value
        return HASHED + self._digest(_KEY_INDEX_NAMESPACE, key.label).hex()

    def stored_label(self, key: IdentityKey) -> str:
        """``kind:value`` with the value as the index stores it."""
        return f"{key.kind.value}:{self.stored_value(key)}"

    def block_hash(self, blocking_key: str) -> int:
        """A blocking key's stable signed 64-bit hash (``crmcore.identity.blocking``):
        BLAKE2b, keyed by a key derived from the secret when there is one, so the
        identity view's blocks cannot be tested against guessed phones or e-mails.

        A typo key's province (``t:<sound>@<code>``) is its low six bits, under the hash
        of the sound (:meth:`typo_block_base`): one sound's blocks in every province lie
        in one range of 64 values, which a record that says nowhere reads with one range
        look-up instead of 34. A collision only adds a candidate that the comparison then
        rejects. Remembered: a registration hashes each of its keys several times
        (prepare, check, filing).
        """
        if blocking_key.startswith("t:"):
            sound, _, province = blocking_key.rpartition("@")
            return self.typo_block_hashes(sound, (province,))[0]
        return self._hash(blocking_key)

    def typo_block_base(self, sound: str) -> int:
        """The lowest hash of the typo blocks of ``sound`` (``t:<sound>``); theirs are
        this plus their province's slot (1-34), below this plus :data:`TYPO_SLOTS`."""
        return typo_base_of(self._hash(sound))

    def typo_block_hashes(self, sound: str, provinces: Iterable[str]) -> list[int]:
        """The hashes of the typo blocks of ``sound`` in each of ``provinces``."""
        return slotted(self.typo_block_base(sound), provinces)

    def _hash(self, blocking_key: str) -> int:
        found = self._block_hashes.get(blocking_key)
        if found is None:
            if len(self._block_hashes) >= _REMEMBERED_IDS:
                self._block_hashes.clear()
            digest = hashlib.blake2b(
                blocking_key.encode("utf-8", "surrogatepass"),
                digest_size=8,
                key=self._block_key or b"",
            ).digest()
            found = self._block_hashes[blocking_key] = int.from_bytes(digest, "big", signed=True)
        return found


PLAIN_KEY_IDS = KeyIds()
TYPO_SLOTS = 64
"""Hash values a typo sound's blocks may take (its provinces' slots, 1-34, in the low
six bits)."""


def typo_base_of(value: int) -> int:
    """The first hash of the range a typo block's hash lies in (its slot cleared)."""
    return value & ~(TYPO_SLOTS - 1)


def slotted(base: int, provinces: Iterable[str]) -> list[int]:
    """The hashes of a typo sound's blocks (range starting at ``base``) in ``provinces``."""
    slots = province_slots()
    return [base | slots[code] for code in provinces]


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
