"""Per-subject data keys: created with their first sealed event, cached, destroyed on erasure.

A subject is the aggregate whose events hold the values (a customer, a lead, a key
index): its id is the originator id, so finding an event's key needs nothing but the
event. Keys live wrapped in ``crm_data_keys`` beside the events; the master key that
wraps them comes from configuration only.

The book's index secret (what turns identity keys into HMAC ids, ``KeyIds``) is kept
the same way under a fixed subject id: rotating the master rewraps it, and the ids,
which must never change, stay the same.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import ApplicationRecorder, Mapper, Transcoder

from adapters.persistence.data_keys import WritesDataKeys
from adapters.pii.crypto import (
    SEALED,
    STABLE,
    KeyUnusable,
    MasterKey,
    Sealer,
    new_data_key,
    unwrap,
    wrap,
)
from adapters.pii.key_cache import UNKNOWN, KeyCache
from adapters.pii.key_table import TABLE, KeyRow
from crmcore.errors import ValidationFailed
from crmcore.identity.keys import KeyIds
from crmcore.personal_data import ERASED, KeyRead

if TYPE_CHECKING:
    from adapters.pii.mapper import PersonalDataMapper

INDEX_SECRET = uuid5(NAMESPACE_URL, "crmcore:pii:index-secret")


class Vault:
    """crmcore's ``PersonalDataProtection`` (see ``crmcore.personal_data``)."""

    def __init__(self, master: MasterKey, previous: Sequence[MasterKey] = ()) -> None:
        self._masters = {key.key_id: key for key in (*previous, master)}
        self._master = master
        self._cache = KeyCache()
        self._local = threading.local()
        self._recorder: WritesDataKeys | None = None
        self._key_ids: KeyIds | None = None

    # -- PersonalDataProtection ------------------------------------------------------

    @property
    def key_ids(self) -> KeyIds:
        if self._key_ids is None:
            raise RuntimeError("the vault is not attached to a store yet")
        return self._key_ids

    def mapper(self, transcoder: Transcoder) -> Mapper[UUID]:
        from adapters.pii.mapper import PersonalDataMapper

        mapper: PersonalDataMapper = PersonalDataMapper(transcoder, self)
        return mapper

    def attach(self, recorder: ApplicationRecorder) -> None:
        """Writes new keys with the recorder's events; loads (or, in a new book,
        creates) the index secret. A book that already holds unprotected events is
        refused: their key indexes are named by plain hashes, and mixing the two
        would let the same phone be registered twice."""
        if not isinstance(recorder, WritesDataKeys):
            raise ValidationFailed(
                "pii.master_key", "personal data can be protected on SQLite and PostgreSQL only"
            )
        if getattr(recorder.datastore, "enable_db_functions", False):
            raise ValidationFailed(
                "pii.master_key",
                "POSTGRES_ENABLE_DB_FUNCTIONS inserts events without the data keys' table",
            )
        self._recorder = recorder
        recorder.key_writer = self
        secret = self._sealer_row(INDEX_SECRET)
        if secret is None:
            secret = self._create_index_secret(recorder)
        self._key_ids = KeyIds(secret)

    def erase(self, subjects: Collection[UUID], at: datetime) -> None:
        """Destroys the data keys of ``subjects`` (crypto-shredding); idempotent."""
        recorder = self._attached()
        stamp = at.isoformat()
        with recorder.datastore.transaction(commit=True) as cursor:
            if not recorder.key_table.postgres:
                cursor.execute("PRAGMA secure_delete = ON")  # overwrite, not just unlink
            recorder.key_table.erase(cursor, subjects, stamp)
        for subject in subjects:
            self._cache.put(subject, None)

    def seal_value(self, subject: UUID, value: str) -> str:
        """``value`` sealed under the subject's data key, for a read model (ERASED once
        the subject is erased), deterministically (``crypto.STABLE``). A subject
        without a key yet (a view may hold a value its events did not seal, such as an
        old book's device id) is given one, written at once in a transaction of its
        own: a view row never outlives its key's row."""
        if value == ERASED:
            return value
        known, found = self._cache.get(subject)
        if not known:
            known, found = self._read(subject)
        if not known:
            found = self._create_key(subject)
        return ERASED if found is None else found.seal_stable(value)

    def open_value(self, subject: UUID, value: str) -> str:
        """A value :meth:`seal_value` sealed, in clear (ERASED once the subject is
        erased); a value not sealed is returned as it is.

        A key the mapper marked erased is looked up again, without caching it: the
        mapper marks a subject erased as soon as it reads the erasure's event, and the
        views take that event before the key is destroyed (they must still open what
        they filed, to drop it). A key read erased from the table is final."""
        if not value.startswith((STABLE, SEALED)):
            return value
        try:
            known, opener = self._cache.get(subject)
            if not known:
                known, opener = self._read(subject)
            elif opener is None and self._cache.marked(subject):
                row = self._rows([subject]).get(subject)
                if row is not None and row.erased:
                    self._cache.put(subject, None)  # seen destroyed: final, not asked again
                opener = None if row is None or row.erased else Sealer(subject, self._unwrap(row))
            if not known:
                raise KeyUnusable(f"{subject} has sealed personal data but no data key")
            return ERASED if opener is None else opener.open(value)
        except KeyUnusable as exc:
            reason = f"a read model's value of {subject}: {exc}"
            raise ValidationFailed("pii.master_key", reason) from None

    def open_values(
        self, items: Sequence[tuple[UUID, str]], keys: Mapping[UUID, KeyRead] | None = None
    ) -> list[str]:
        """:meth:`open_value` of each item, in order: the check's hot path, one open per
        new candidate. A key read with the values (``keys``) is used as read - it is the
        table's row at that moment, so neither the cache nor its erased marks are asked,
        and a check opening a hundred candidates costs a hundred unwraps, not a hundred
        trips through the shared cache's lock. Otherwise a key already cached is used
        without the lock."""
        if keys:
            beside = self._open_beside
            return [beside(subject, value, keys.get(subject)) for subject, value in items]
        peek = self._cache.peek
        opened = []
        for subject, value in items:
            found = peek(subject)
            if found is UNKNOWN or not value.startswith(STABLE):
                # Not cached (or marked erased), or not a view's value: the careful way.
                opened.append(self.open_value(subject, value))
                continue
            opener = cast("Sealer | None", found)
            opened.append(ERASED if opener is None else self._open_with(opener, subject, value))
        return opened

    def _open_beside(self, subject: UUID, value: str, key: KeyRead | None) -> str:
        """A view's value opened with the key row read beside it (the careful way when
        the subject had no row, or the value is not a view's)."""
        if key is None or not value.startswith(STABLE):
            return self.open_value(subject, value)
        master_key_id, wrapped = key
        if wrapped is None:
            return ERASED
        data_key = self._unwrap_key(subject, master_key_id, bytes(wrapped))
        return self._open_with(Sealer(subject, data_key), subject, value)

    @staticmethod
    def _open_with(opener: Sealer, subject: UUID, value: str) -> str:
        try:
            return opener.open(value)
        except KeyUnusable as exc:
            reason = f"a read model's value of {subject}: {exc}"
            raise ValidationFailed("pii.master_key", reason) from None

    # -- what the mapper asks ----------------------------------------------------------

    def sealer(self, subject: UUID, *, new: bool) -> Sealer | None:
        """The subject's sealer for writing (None once erased). ``new``: the subject's
        first event, so it has no key yet and none is read for it."""
        known, found = self._cache.get(subject)
        if not known and not new:
            known, found = self._read(subject)
        if known:
            return found
        data_key = new_data_key()
        row = KeyRow(subject, self._master.key_id, wrap(self._master, subject, data_key))
        self._pending()[subject] = row
        sealer = Sealer(subject, data_key)
        self._cache.put(subject, sealer)
        return sealer

    def opener(self, subject: UUID) -> Sealer | None:
        """The subject's sealer for reading (None once erased); KeyUnusable when the
        subject has sealed values but no key row at all (a store restored without its
        key table)."""
        known, found = self._cache.get(subject)
        if not known:
            known, found = self._read(subject)
        if not known:
            raise KeyUnusable(f"{subject} has sealed personal data but no data key")
        return found

    def prefetch(self, subjects: Collection[UUID]) -> None:
        """Reads the keys of ``subjects`` not cached yet in one query (a page of the log
        about to be decoded: one read instead of one per customer)."""
        missing = self._cache.missing(subjects)
        if not missing:
            return
        for row in self._rows(missing).values():
            self._keep(row)

    @property
    def key_table(self) -> str:
        return TABLE

    def forget(self, subjects: Collection[UUID], *, erased: bool = False) -> None:
        """Drops cached keys (``erased``: the mapper read their erasure's event, so no
        new value is sealed under them; :meth:`open_value` still asks the table until
        the key is seen destroyed)."""
        self._cache.forget(subjects, erased=erased)

    # -- KeyWriter (the recorder's side) -------------------------------------------

    def write(self, cursor: Any) -> None:
        pending = self._pending()
        if pending:
            self._attached().key_table.insert(cursor, pending.values())

    def settle(self, committed: bool) -> None:
        pending = self._pending()
        if not committed:  # another writer's key may exist: read it next time
            self.forget(list(pending))
        pending.clear()

    # -- rotation ----------------------------------------------------------------

    def rotate(self) -> tuple[int, int]:
        """Rewraps every live key not wrapped by the current master with it; returns
        (rewrapped, already current). Events are not touched."""
        recorder = self._attached()
        with recorder.datastore.transaction(commit=True) as cursor:
            rows = recorder.key_table.live(cursor)
            stale = [r for r in rows if r.master_key_id != self._master.key_id]
            rewrapped = []
            for row in stale:
                data_key = self._unwrap(row)
                wrapped = wrap(self._master, row.subject, data_key)
                rewrapped.append(KeyRow(row.subject, self._master.key_id, wrapped))
            recorder.key_table.rewrap(cursor, rewrapped)
        return len(rewrapped), len(rows) - len(rewrapped)

    def status(self) -> dict[str, Any]:
        """What ``crm pii status`` shows: the current master, keys per master, erased."""
        recorder = self._attached()
        with recorder.datastore.transaction(commit=False) as cursor:
            counts = recorder.key_table.by_master(cursor)
        erased = counts.pop(None, 0)
        return {
            "encrypted": True,
            "master_key_id": self._master.key_id,
            "previous_master_key_ids": [k for k in self._masters if k != self._master.key_id],
            "data_keys_by_master": {str(k): n for k, n in sorted(counts.items(), key=str)},
            "erased_subjects": erased,
        }

    # -- internals -------------------------------------------------------------------

    def _attached(self) -> WritesDataKeys:
        if self._recorder is None:
            raise RuntimeError("the vault is not attached to a store yet")
        return self._recorder

    def _pending(self) -> dict[UUID, KeyRow]:
        pending: dict[UUID, KeyRow] | None = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = {}
        return pending

    def _rows(self, subjects: Sequence[UUID]) -> dict[UUID, KeyRow]:
        recorder = self._attached()
        with recorder.datastore.transaction(commit=False) as cursor:
            return recorder.key_table.select(cursor, subjects)

    def _read(self, subject: UUID) -> tuple[bool, Sealer | None]:
        """(whether the subject has a row, its sealer - None if erased)."""
        row = self._rows([subject]).get(subject)
        return (False, None) if row is None else (True, self._keep(row))

    def _keep(self, row: KeyRow) -> Sealer | None:
        """The row's sealer (None: erased), cached."""
        sealer = None if row.erased else Sealer(row.subject, self._unwrap(row))
        self._cache.put(row.subject, sealer)
        return sealer

    def _unwrap(self, row: KeyRow) -> bytes:
        assert row.wrapped is not None
        return self._unwrap_key(row.subject, row.master_key_id, row.wrapped)

    def _unwrap_key(self, subject: UUID, master_key_id: str | None, wrapped: bytes) -> bytes:
        master = self._masters.get(master_key_id or "")
        if master is None:
            raise ValidationFailed(
                "pii.master_key",
                f"the data key of {subject} is wrapped by master key {master_key_id}, "
                "which is neither pii.master_key nor one of pii.previous_master_keys",
            )
        try:
            return unwrap(master, subject, wrapped)
        except KeyUnusable as exc:
            raise ValidationFailed("pii.master_key", str(exc)) from None

    def _create_key(self, subject: UUID) -> Sealer:
        """A new data key for ``subject``, committed now (another process's, if it wrote
        one first)."""
        data_key = self._insert_key(subject)
        if data_key is None:
            raise KeyUnusable(f"{subject} was erased while its key was being made")
        sealer = Sealer(subject, data_key)
        self._cache.put(subject, sealer)
        return sealer

    def _insert_key(self, subject: UUID) -> bytes | None:
        """Writes a new data key for ``subject`` in a transaction of its own and returns
        it; when another process wrote one first, returns theirs (None: erased)."""
        recorder = self._attached()
        data_key = new_data_key()
        row = KeyRow(subject, self._master.key_id, wrap(self._master, subject, data_key))
        try:
            with recorder.datastore.transaction(commit=True) as cursor:
                recorder.key_table.insert(cursor, [row])
        except Exception:  # another process created it first: use theirs
            theirs = self._rows([subject]).get(subject)
            if theirs is None:
                raise
            return None if theirs.erased else self._unwrap(theirs)
        return data_key

    def _sealer_row(self, subject: UUID) -> bytes | None:
        row = self._rows([subject]).get(subject)
        return None if row is None or row.erased else self._unwrap(row)

    def _create_index_secret(self, recorder: WritesDataKeys) -> bytes:
        if recorder.max_notification_id():  # type: ignore[attr-defined]
            raise ValidationFailed(
                "pii.master_key",
                "this book already holds events stored without encryption; personal data "
                "protection is chosen when a book is created (docs/operations.md, "
                "'Turning encryption on')",
            )
        secret = self._insert_key(INDEX_SECRET)
        if secret is None:
            raise ValidationFailed("pii.master_key", "the book's index secret was erased")
        return secret
