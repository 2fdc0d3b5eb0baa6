"""The envelope: data keys wrapped by a master key, values sealed by a data key.

AES-256-GCM from ``cryptography`` (maintained, constant-time, the OpenSSL primitives)
for both layers. Each seal binds the subject's id as associated data, so a value or a
wrapped key copied onto another customer's row fails to open instead of reading as
theirs. A master key is named by the first 8 bytes of its SHA-256 (``key_id``): the
key table records which master wrapped each data key, which is what lets a rotation
run while some servers still hold the previous master.

>>> master = MasterKey.from_text(base64.b64encode(bytes(range(32))).decode())
>>> subject = UUID(int=7)
>>> data_key = new_data_key()
>>> unwrap(master, subject, wrap(master, subject, data_key)) == data_key
True
>>> box = Sealer(subject, data_key)
>>> sealed = box.seal("+8613800138000")
>>> sealed.startswith(SEALED), box.open(sealed)
(True, '+8613800138000')
>>> stable = box.seal_stable("张伟")
>>> stable == box.seal_stable("张伟") != box.seal_stable("张玮"), box.open(stable)
(True, '张伟')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV

from crmcore.errors import ValidationFailed

SEALED = "pii1:"
"""Prefix of a sealed value (version 1: AES-256-GCM, 12-byte nonce, subject as AAD)."""
STABLE = "pii1s:"
"""Prefix of a value sealed for a read model: AES-256-GCM-SIV under the same data key
with a fixed nonce, subject as AAD. Deterministic on purpose: a view rebuilt from the
log holds the very bytes of the view that followed it, and the same value sealed twice
is one text. It shows only that two of one subject's values are equal (each subject has
its own key, so nothing links two subjects); SIV keeps the fixed nonce safe."""

_NONCE = 12
_FIXED_NONCE = bytes(_NONCE)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _unb64(text: str) -> bytes:
    """``base64.urlsafe_b64decode`` of an ASCII text, without its Python-level steps:
    a check opens a hundred candidates' values, and the stdlib's wrapper cost a third
    of each open."""
    return binascii.a2b_base64(text.encode("ascii").translate(_FROM_URLSAFE))


class KeyUnusable(Exception):
    """A wrapped key or a sealed value does not open with the key given."""


@dataclass(frozen=True)
class MasterKey:
    """A 256-bit key from configuration; never written to the store."""

    secret: bytes

    @classmethod
    def from_text(cls, text: str, field: str = "pii.master_key") -> MasterKey:
        """The key from its base64 text (``openssl rand -base64 32``), refused naming
        ``field`` when it is not 32 bytes."""
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                field, "is not base64 (make one: openssl rand -base64 32)"
            ) from None
        if len(secret) != 32:
            raise ValidationFailed(
                field, f"must be 32 bytes of base64 (openssl rand -base64 32), not {len(secret)}"
            )
        return cls(secret)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.secret).hexdigest()[:16]

    @cached_property
    def aead(self) -> AESGCM:
        """The cipher, made once: a check unwraps the keys of dozens of candidates."""
        return AESGCM(self.secret)

    def __repr__(self) -> str:  # never print the secret
        return f"MasterKey(key_id={self.key_id!r})"


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(master: MasterKey, subject: UUID, data_key: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + master.aead.encrypt(nonce, data_key, subject.bytes)


def unwrap(master: MasterKey, subject: UUID, wrapped: bytes) -> bytes:
    try:
        return master.aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject.bytes)
    except InvalidTag:
        raise KeyUnusable(f"the data key of {subject} does not open with this master key") from None


class Sealer:
    """Seals and opens one subject's values with its data key."""

    __slots__ = ("_aad", "_aead", "_key")

    def __init__(self, subject: UUID, data_key: bytes) -> None:
        self._aad = subject.bytes
        self._aead: AESGCM | None = None  # made when an event's value is first sealed or opened
        self._key = data_key

    def _random(self) -> AESGCM:
        # Made on first use and kept: an event seals several values with it, while a view
        # reading a candidate's profile needs only the deterministic cipher.
        if self._aead is None:
            self._aead = AESGCM(self._key)
        return self._aead

    def _stable(self) -> AESGCMSIV:
        # Made for each use (~2 us), not kept: a vault caches tens of thousands of
        # sealers, and a cipher object is ~2.5 KB (the check reuses opened profiles).
        return AESGCMSIV(self._key)

    def seal_stable(self, value: str) -> str:
        """``value`` sealed deterministically, for a read model (``STABLE``)."""
        sealed = self._stable().encrypt(
            _FIXED_NONCE, value.encode("utf-8", "surrogatepass"), self._aad
        )
        return STABLE + base64.urlsafe_b64encode(sealed).decode("ascii")

    def seal(self, value: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._random().encrypt(nonce, value.encode("utf-8", "surrogatepass"), self._aad)
        return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str) -> str:
        """A value ``seal`` or ``seal_stable`` sealed, in clear."""
        try:
            if text.startswith(STABLE):
                raw = _unb64(text[len(STABLE) :])
                plain = self._stable().decrypt(_FIXED_NONCE, raw, self._aad)
            else:
                raw = _unb64(text[len(SEALED) :])
                plain = self._random().decrypt(raw[:_NONCE], raw[_NONCE:], self._aad)
        except (InvalidTag, binascii.Error, ValueError):
            raise KeyUnusable("a sealed value does not open with its subject's data key") from None
        return plain.decode("utf-8", "surrogatepass")
