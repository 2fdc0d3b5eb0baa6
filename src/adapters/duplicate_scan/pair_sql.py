"""The SQL a scan engine runs: candidate pairs from the blocks, feature bounds, screens.

Written once for every engine; the few functions SQL dialects spell differently (lists
and lambdas) come from a :class:`Dialect`. The entry rows ``a`` and ``b`` have the
columns of :mod:`adapters.duplicate_scan.book`, with ``words`` (a Latin company name's
words), ``phones``, ``emails`` (personal mailboxes) and ``labels`` as lists, and the
first phone (``p_cc``, ``p_digits``) and mailbox (``e_key``: local part and domain label;
``e_domain``) with the lists' lengths (``n_phones``, ``n_emails``) as plain columns.

What each feature's expression computes is the upper bound
:mod:`crmcore.identity.pair_screen` asks for, and each one mirrors a branch of
:mod:`crmcore.identity.compare` (the docstrings there say why the branches exist): exact
where equal strings, a shared label, a phone one digit off or a sibling mailbox decide
it; for the company similarity of two Chinese names, the edit-distance bound ``1 - lev /
(len a + len b)`` of rapidfuzz's ``ratio`` (an insertion-deletion distance is never
below the edit distance); two Latin names word by word as the comparison does; 1.0 where
only the full comparison can tell (two Latin contact names, by Jaro-Winkler).

An absent feature is NULL, as the comparison leaves it out.
"""

from __future__ import annotations

from typing import Protocol

from crmcore.config import IdentityConfig
from crmcore.identity.pair_screen import BOUND_SLACK, Screen

FIELD = "chr(31)"  # adapters.duplicate_scan.book.FIELD_SEPARATOR


class Dialect(Protocol):
    def any_of(self, items: str, name: str, predicate: str) -> str:
        """True when the predicate (on ``name``) holds for some item of the list."""

    def overlap(self, one: str, other: str) -> str:
        """True when the two lists share an element."""

    def size(self, items: str) -> str:
        """How many elements the list has."""

    def total(self, items: str, name: str, value: str) -> str:
        """The sum of ``value`` (on ``name``) over the list's elements."""

    def best(self, items: str, name: str, value: str) -> str:
        """The largest ``value`` (on ``name``) over the list's elements."""

    def one_edit(self, x: str, y: str) -> str:
        """True when the two words are one edit apart, an adjacent transposition
        counting as one - or, where the engine cannot tell, True when they might be."""

    def gather(self, value: str) -> str:
        """An aggregate: the group's values as a list."""


def might_be_one_edit(x: str, y: str) -> str:
    """A cheap test every two words of four letters or more one edit apart pass (an
    adjacent transposition counting as one): lengths at most one apart, and the same
    first or the same last letter - one edit cannot change both ends of such a word.
    (Checked against every one-edit neighbour of every word of 4 to 7 letters over a
    three-letter alphabet.) Dialects compute the distance only where it holds."""
    return (
        f"abs(length({x}) - length({y})) <= 1 "
        f"AND (left({x}, 1) = left({y}, 1) OR right({x}, 1) = right({y}, 1))"
    )


def _ratio_bound(x: str, y: str) -> str:
    total = f"(length({x}) + length({y}))"
    return (
        f"(CASE WHEN {total} = 0 THEN 1.0 "
        f"ELSE 1.0 - CAST(levenshtein({x}, {y}) AS DOUBLE) / {total} END)"
    )


def _words_bound(d: Dialect) -> str:
    """``compare._word_similarity`` of two Latin names, but for its cap on the same words
    in another order (which only lowers it): word by word, both directions."""

    def one_way(x: str, y: str) -> str:
        word = (
            "CASE WHEN w = o THEN 1.0 "
            f"WHEN length(w) >= 4 AND length(o) >= 4 AND {d.one_edit('w', 'o')} THEN 0.9 "
            "ELSE 0.0 END"
        )
        matched = d.total(x, "w", d.best(y, "o", word))
        return f"({matched} / greatest({d.size(x)}, {d.size(y)}))"

    return f"least({one_way('a.words', 'b.words')}, {one_way('b.words', 'a.words')})"


def feature_bounds(dialect: Dialect, config: IdentityConfig) -> dict[str, str]:
    """Each feature's bound for the pair of entry rows ``a`` and ``b``, as SQL."""
    d = dialect
    weights = config.weights
    company_base = (
        "(CASE WHEN a.core = b.core THEN 1.0 "
        f"WHEN a.sound = b.sound THEN {weights.homophone!r} "
        f"WHEN a.latin AND b.latin THEN {_words_bound(d)} "
        "WHEN a.trade <> '' AND a.trade = b.trade "
        f"THEN 0.75 * {_ratio_bound('a.brand', 'b.brand')} + 0.25 "
        f"ELSE {_ratio_bound('a.core', 'b.core')} END)"
    )
    one_branch = (
        "((a.branch IS NULL) <> (b.branch IS NULL) "
        "OR (a.branch IS NOT NULL AND a.branch <> '' AND a.branch <> b.branch))"
    )
    branch = f"(CASE WHEN {one_branch} THEN {weights.branch_factor!r} ELSE 1.0 END)"
    # Most records have one phone and one personal mailbox: compared as plain columns
    # (the first of each, split when the page was loaded), the lists only otherwise.
    phone_near = (
        "(CASE WHEN a.n_phones = 1 AND b.n_phones = 1 THEN a.p_cc = b.p_cc "
        "AND a.p_digits <> b.p_digits AND levenshtein(a.p_digits, b.p_digits) <= 1 "
        "ELSE "
        + d.any_of(
            "a.phones",
            "x",
            d.any_of(
                "b.phones",
                "y",
                "x <> y AND split_part(x, ':', 1) = split_part(y, ':', 1) "
                "AND levenshtein(split_part(x, ':', 2), split_part(y, ':', 2)) <= 1",
            ),
        )
        + " END)"
    )
    sibling = (
        "(CASE WHEN a.n_emails = 1 AND b.n_emails = 1 THEN a.e_key = b.e_key "
        "AND a.e_domain <> b.e_domain ELSE "
        + d.any_of(
            "a.emails",
            "x",
            d.any_of(
                "b.emails",
                "y",
                f"split_part(x, {FIELD}, 1) = split_part(y, {FIELD}, 1) "
                f"AND split_part(x, {FIELD}, 2) = split_part(y, {FIELD}, 2) "
                f"AND split_part(x, {FIELD}, 3) <> split_part(y, {FIELD}, 3)",
            ),
        )
        + " END)"
    )
    no_contact = "a.c_script IS NULL OR b.c_script IS NULL"
    no_region = "a.region IS NULL OR b.region IS NULL"
    no_company = "a.core IS NULL OR b.core IS NULL"
    labels = d.overlap("a.labels", "b.labels")
    return {
        "exact_key": f"(CASE WHEN {labels} THEN 1.0 ELSE 0.0 END)",
        "same_region": f"(CASE WHEN {no_region} THEN NULL ELSE 1.0 END)",
        "region_conflict": (
            f"(CASE WHEN {no_region} THEN NULL WHEN a.region = b.region THEN 0.0 ELSE 1.0 END)"
        ),
        "company": f"(CASE WHEN {no_company} THEN NULL ELSE {company_base} * {branch} END)",
        "trade_conflict": (
            f"(CASE WHEN {no_company} OR a.trade = '' OR b.trade = '' THEN NULL "
            "WHEN instr(b.trade, a.trade) = 0 AND instr(a.trade, b.trade) = 0 THEN 1.0 "
            "ELSE 0.0 END)"
        ),
        "contact": (
            f"(CASE WHEN {no_contact} THEN NULL "
            "WHEN a.c_partial OR b.c_partial "
            "THEN (CASE WHEN a.c_surname = b.c_surname THEN 0.8 ELSE 0.0 END) "
            "WHEN a.c_sound = b.c_sound THEN 1.0 "
            "WHEN a.c_script = 'latin' AND b.c_script = 'latin' AND a.c_codes = b.c_codes "
            "THEN 0.95 "
            "WHEN a.c_script = 'han' AND b.c_script = 'han' THEN 0.85 "
            "ELSE 1.0 END)"
        ),
        "contact_surname": (
            f"(CASE WHEN {no_contact} THEN NULL "
            "WHEN a.c_surname = b.c_surname THEN 1.0 ELSE 0.0 END)"
        ),
        "phone_near": (
            "(CASE WHEN a.n_phones = 0 OR b.n_phones = 0 THEN NULL "
            f"WHEN {phone_near} THEN 1.0 ELSE 0.0 END)"
        ),
        "email_sibling": (
            "(CASE WHEN NOT a.has_emails OR NOT b.has_emails THEN NULL "
            "WHEN a.n_emails = 0 OR b.n_emails = 0 THEN 0.0 "
            f"WHEN {sibling} THEN 1.0 ELSE 0.0 END)"
        ),
    }


def screen_predicate(screens: tuple[Screen, ...]) -> str:
    """True when some rule could fire on the pair (:mod:`crmcore.identity.pair_screen`),
    on a row whose columns are the features' bounds (named as the features)."""
    arms = []
    for screen in screens:
        conditions = [
            f"COALESCE({name}, -1.0) + {BOUND_SLACK!r} >= {minimum!r}"
            for name, minimum in screen.when
        ]
        vetoes = [f"COALESCE({name}, -1.0) >= {minimum!r}" for name, minimum in screen.vetoes]
        if vetoes:
            conditions.append(f"NOT ({' OR '.join(vetoes)})")
        arms.append("(" + " AND ".join(conditions or ["TRUE"]) + ")")
    return "(" + " OR ".join(arms) + ")"
