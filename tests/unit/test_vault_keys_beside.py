"""Opening a view's sealed values with the key rows read in the same query.

The identity check reads its candidates' data keys with their profiles (the view lives
beside the keys) and opens each with the row as read, past the shared key cache: these
tests pin what that path answers for every kind of row - a live key, an erased one, a
key wrapped by a master this process was not given, a key of another subject, and a
subject with no row at all.
"""

from __future__ import annotations

import base64
import os
from uuid import uuid4

import pytest

from adapters.pii.crypto import MasterKey, Sealer, new_data_key, wrap
from adapters.pii.vault import Vault
from crmcore.errors import ValidationFailed
from crmcore.personal_data import ERASED


def master() -> MasterKey:
    return MasterKey.from_text(base64.b64encode(os.urandom(32)).decode())


def test_a_live_key_opens_and_an_erased_row_reads_erased() -> None:
    ours = master()
    vault = Vault(ours)
    alive, gone = uuid4(), uuid4()
    alive_key, gone_key = new_data_key(), new_data_key()
    values = [
        (alive, Sealer(alive, alive_key).seal_stable("钱多多")),
        (gone, Sealer(gone, gone_key).seal_stable("phone:+8613612345678")),
        (alive, "not sealed, kept as typed"),
    ]
    keys = {alive: (ours.key_id, wrap(ours, alive, alive_key)), gone: (None, None)}
    assert vault.open_values(values, keys) == ["钱多多", ERASED, "not sealed, kept as typed"]
    # The same rows opened the cached way give the same answers.
    vault._cache.put(alive, Sealer(alive, alive_key))
    vault._cache.put(gone, None)
    assert vault.open_values(values) == ["钱多多", ERASED, "not sealed, kept as typed"]


def test_a_key_wrapped_by_an_unknown_master_is_refused_naming_the_setting() -> None:
    ours, theirs = master(), master()
    subject, data_key = uuid4(), new_data_key()
    sealed = Sealer(subject, data_key).seal_stable("钱多多")
    with pytest.raises(ValidationFailed) as refused:
        Vault(ours).open_values(
            [(subject, sealed)], {subject: (theirs.key_id, wrap(theirs, subject, data_key))}
        )
    assert refused.value.field == "pii.master_key"
    assert theirs.key_id in refused.value.reason
    # Given as a previous master, the same key opens it.
    keys = {subject: (theirs.key_id, wrap(theirs, subject, data_key))}
    assert Vault(ours, [theirs]).open_values([(subject, sealed)], keys) == ["钱多多"]


def test_a_value_does_not_open_under_another_subjects_key_row() -> None:
    ours = master()
    subject, other, data_key = uuid4(), uuid4(), new_data_key()
    sealed = Sealer(subject, data_key).seal_stable("钱多多")
    # The other subject's row holds the very same data key: the subject is bound in.
    keys = {other: (ours.key_id, wrap(ours, other, data_key))}
    with pytest.raises(ValidationFailed) as refused:
        Vault(ours).open_values([(other, sealed)], keys)
    assert refused.value.field == "pii.master_key"
    assert str(other) in refused.value.reason


def test_a_subject_without_a_key_row_is_looked_up_the_careful_way() -> None:
    ours = master()
    vault = Vault(ours)
    subject, data_key = uuid4(), new_data_key()
    sealed = Sealer(subject, data_key).seal_stable("钱多多")
    asked: list[object] = []

    def rows(subjects: object) -> dict[object, object]:
        asked.append(subjects)
        return {}

    vault._rows = rows  # type: ignore[method-assign]
    with pytest.raises(ValidationFailed) as refused:
        vault.open_values([(subject, sealed)], {uuid4(): (None, None)})
    assert asked == [[subject]]
    assert "no data key" in refused.value.reason
