"""Personal values in read models: sealed like the events when the store protects them.

A view is a copy of the log, so it must keep personal data the way the log does. With a
master key (``pii.master_key``) every personal value a view holds - a contact name in
the customer directory, a lead's name when it is a person's, the personal half of an
identity profile - is sealed under the data key of its subject (the customer or lead it
belongs to) by the same vault that seals the events, and blocking keys are hashed with a
key derived from the book's secret. Destroying a subject's data key (``crm customer
erase``) therefore makes every view's copy unreadable in the same instant as the
events', in every process and every backup, with nothing left for a later catch-up to
clean. Without a master key values are kept as they are and nothing changes.

One :class:`PersonalSeal` per process and store; the runner hands it to the handlers
(``ViewWriter.personal``) and the queries that read rows back take the same one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from crmcore.identity import profile_codec
from crmcore.identity.blocking import Blocks
from crmcore.identity.keys import PLAIN_KEY_IDS, KeyIds
from crmcore.identity.profile import MatchProfile
from crmcore.personal_data import ERASED, KeyRead, PersonalDataProtection


class PersonalSeal:
    """Seals and opens the personal values of read models, or passes them through."""

    def __init__(self, protection: PersonalDataProtection | None) -> None:
        self._protection = protection

    @classmethod
    def of(cls, app: Any) -> PersonalSeal:
        """The seal of an application's store (plain for one without protection)."""
        return cls(getattr(app, "protection", None))

    @property
    def protected(self) -> bool:
        return self._protection is not None

    @property
    def key_ids(self) -> KeyIds:
        """The book's keyed hashes (plain ones without protection)."""
        return PLAIN_KEY_IDS if self._protection is None else self._protection.key_ids

    def block_hash(self, blocking_key: str) -> int:
        """A blocking key as ``identity_blocks`` files it (keyed when protected)."""
        return self.key_ids.block_hash(blocking_key)

    def block_hashes(self, blocks: Blocks) -> list[int]:
        """Every hash ``blocks`` are filed under: :meth:`block_hash` of each key, the
        typo sounds' hashed once each, in each province (the surname blocks apart:
        :meth:`surname_hashes`)."""
        ids = self.key_ids
        hashes = [ids.block_hash(key) for key in blocks.plain]
        for sound in blocks.sounds:
            hashes.extend(ids.typo_block_hashes(sound, blocks.provinces))
        return hashes

    def surname_hashes(self, blocks: Blocks) -> list[int]:
        """The hashes of ``blocks``' surname blocks (``s:`` keys), one a typo sound."""
        ids = self.key_ids
        return [
            ids.block_hash(key)
            for sound in blocks.sounds
            if (key := blocks.surname_key(sound)) is not None
        ]

    def seal(self, subject: UUID, value: str | None) -> str | None:
        """``value`` as a view stores it: sealed under ``subject``'s key when protected
        (ERASED when the subject is already erased); None stays None."""
        if value is None or self._protection is None:
            return value
        return self._protection.seal_value(subject, value)

    def open(self, subject: UUID, value: str | None) -> str | None:
        """A stored value readable again (ERASED once its subject was erased)."""
        if value is None or self._protection is None:
            return value
        return self._protection.open_value(subject, value)

    def encode_profile(self, profile: MatchProfile, subject: UUID) -> str:
        """A match profile as ``identity_entries`` stores it: its personal half sealed
        under ``subject``'s data key when protected."""
        if self._protection is None:
            return profile_codec.encode_profile(profile)
        protection = self._protection
        return profile_codec.encode_profile(profile, lambda v: protection.seal_value(subject, v))

    def decode_profile(self, text: str, subject: UUID) -> MatchProfile:
        """A stored profile; its personal half opened with ``subject``'s key (a profile
        without one once the subject is erased)."""
        return self.decode_profiles([(text, subject)])[0]

    def decode_profiles(
        self, rows: Sequence[tuple[str, UUID]], keys: Mapping[UUID, KeyRead] | None = None
    ) -> list[MatchProfile]:
        """The stored profiles of (stored text, subject) pairs, in order; their personal
        halves opened together (``keys``: the subjects' key rows, read with the rows
        from :attr:`key_table` by a view in the store's own database)."""
        if self._protection is None:
            return [profile_codec.decode_profile(text) for text, _ in rows]
        split = [profile_codec.split_sealed(text) for text, _ in rows]
        halves = [
            (subject, half) for (_, subject), (_, half) in zip(rows, split, strict=True) if half
        ]
        opened = iter(self._protection.open_values(halves, keys))
        return [
            profile_codec.profile_of(
                profile_codec.with_half(values, next(opened))
                if half
                else profile_codec.StoredParts(*values)
            )
            for values, half in split
        ]

    def unreadable(self, text: str, subject: UUID) -> bool:
        """Whether a stored profile has a sealed personal half its subject's key no
        longer opens (the subject was erased)."""
        if self._protection is None:
            return False
        sealed = profile_codec.sealed_half(text)
        return sealed is not None and self._protection.open_value(subject, sealed) == ERASED

    def clear_profile(self, text: str, subject: UUID) -> str:
        """A stored profile's text in the plain layout, for a scan engine to parse in
        memory (the text itself when the store does not protect personal data)."""
        if self._protection is None:
            return text
        protection = self._protection
        return profile_codec.clear_text(text, lambda v: protection.open_value(subject, v))

    def prefetch(self, subjects: Collection[UUID]) -> None:
        """Reads the keys of the rows about to be opened in one query."""
        if self._protection is not None and subjects:
            self._protection.prefetch(subjects)

    @property
    def key_table(self) -> str | None:
        """The data keys' table (None when nothing is sealed): a view in the store's
        own database joins it to read a row's key with the row, and hands the keys to
        :meth:`decode_profiles`."""
        return None if self._protection is None else self._protection.key_table


PLAIN = PersonalSeal(None)
"""The seal of a store without protection: values kept as they are."""

__all__ = ["ERASED", "PLAIN", "PersonalSeal"]
