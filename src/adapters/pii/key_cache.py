"""The unwrapped data keys a process keeps, so a subject's key is read and unwrapped once.

A check opens the profiles of dozens of candidates and an import hundreds; reading each
key from ``crm_data_keys`` and unwrapping it with the master key every time would cost
more than the check. The cache holds a :class:`~adapters.pii.crypto.Sealer` per subject
(None once the subject is known erased), least recently used first out, and remembers
which subjects the mapper only *marked* erased (it read their erasure's event; the key
may not be destroyed yet, and the views still open what they filed, to drop it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from contextlib import suppress
from uuid import UUID

from adapters.pii.crypto import Sealer

SIZE = 50_000
"""Unwrapped keys kept per process (~200 bytes each: a sealer makes its ciphers per use)."""

UNKNOWN = object()
"""What :meth:`KeyCache.peek` returns for a subject it does not hold."""


class KeyCache:
    """Subjects' sealers (None: erased), bounded, safe to share between threads."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._sealers: OrderedDict[UUID, Sealer | None] = OrderedDict()
        # Subjects the mapper marked erased whose key was not yet seen destroyed.
        self._marked: set[UUID] = set()
        self._lock = threading.Lock()

    def get(self, subject: UUID) -> tuple[bool, Sealer | None]:
        """(whether the subject's key is cached, its sealer - None if erased)."""
        with self._lock:
            if subject not in self._sealers:
                return False, None
            self._sealers.move_to_end(subject)
            return True, self._sealers[subject]

    def peek(self, subject: UUID) -> Sealer | object | None:
        """The subject's sealer without the lock (UNKNOWN when not held): the hot path
        of opening many candidates. Marked subjects read as UNKNOWN, so the caller
        asks the table."""
        found = self._sealers.get(subject, UNKNOWN)
        if found is UNKNOWN or subject in self._marked:
            return UNKNOWN
        with suppress(KeyError):  # evicted meanwhile by another thread
            self._sealers.move_to_end(subject)
        return found

    def marked(self, subject: UUID) -> bool:
        """Whether the mapper marked the subject erased and its key was not seen gone."""
        return subject in self._marked

    def missing(self, subjects: Iterable[UUID]) -> list[UUID]:
        """The subjects whose key is not cached."""
        with self._lock:
            return [s for s in subjects if s not in self._sealers]

    def put(self, subject: UUID, sealer: Sealer | None) -> None:
        """Keeps a subject's sealer (None: its key is destroyed - final)."""
        with self._lock:
            if sealer is None:
                self._marked.discard(subject)
            self._sealers[subject] = sealer
            if len(self._sealers) > self._size:
                self._sealers.popitem(last=False)

    def forget(self, subjects: Collection[UUID], *, erased: bool = False) -> None:
        """Drops cached keys (``erased``: marks them erased - see the module's text)."""
        with self._lock:
            for subject in subjects:
                self._sealers.pop(subject, None)
                if erased:
                    self._sealers[subject] = None
                    self._marked.add(subject)
                else:
                    self._marked.discard(subject)
