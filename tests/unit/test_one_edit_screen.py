"""The cheap test the scan puts before an edit distance lets every one-edit pair of
words through: were it wrong, two Latin company names one letter apart could be
dropped by the screen unseen (the judge would never see the pair)."""

from __future__ import annotations

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from adapters.duplicate_scan.pair_sql import might_be_one_edit

words = st.text(alphabet="abcdeéü", min_size=3, max_size=12)


@st.composite
def one_edit_apart(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(words)
    at = draw(st.integers(0, len(word) - 1))
    letter = draw(st.sampled_from("abcdeéüz"))
    edit = draw(st.sampled_from(["substitute", "insert", "delete", "transpose"]))
    if edit == "substitute":
        other = word[:at] + letter + word[at + 1 :]
    elif edit == "insert":
        other = word[:at] + letter + word[at:]
    elif edit == "delete":
        other = word[:at] + word[at + 1 :]
    else:
        at = min(at, len(word) - 2)
        other = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word, other


@given(one_edit_apart())
def test_words_one_edit_apart_always_pass(pair: tuple[str, str]) -> None:
    word, other = pair
    if len(word) < 4 or len(other) < 4:
        return  # the screen compares such words for equality only
    found = duckdb.execute(f"SELECT {might_be_one_edit('$1', '$2')}", [word, other]).fetchone()
    assert found == (True,), (word, other)


def test_words_that_differ_at_both_ends_or_in_length_do_not() -> None:
    for word, other in (("river", "liven"), ("trade", "tradeco"), ("jade", "jadeite")):
        query = f"SELECT {might_be_one_edit('$1', '$2')}"
        assert duckdb.execute(query, [word, other]).fetchone() == (False,)
