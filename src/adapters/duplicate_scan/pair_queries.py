"""The statements every scan engine runs, in the order it runs them: one text for
DuckDB and Spark SQL (the few spellings they differ on come from the dialect), so the
two engines cannot drift apart.

The tables they read: ``entries`` (the parsed stored profiles:
:mod:`adapters.duplicate_scan.stored_profiles`, with ``cust``, a number per live
customer), ``blocks`` (``identity_blocks`` as stored), ``revised`` (the look-up keys of
the entries holding a generic key) and ``refused`` (blocks the entry check never looks
in). What they make: ``sizes`` (blocks of two entries or more), ``ab`` (the entries
filed in blocks worth pairing in, with what counting needs), ``ekeys``/``qkeys`` (filed
and look-up keys of the generic holders' neighbours) and, a part at a time, ``part``
(candidate pairs, distinct) and ``directed`` (those of them a generic holder's look-up
finds).
"""

from __future__ import annotations

from adapters.duplicate_scan.pair_sql import Dialect, feature_bounds, screen_predicate
from crmcore.config import IdentityConfig
from crmcore.identity.pair_screen import screens

SIZES = (
    "SELECT key_hash, count(*) AS n, min(entry_no) AS one "
    "FROM blocks GROUP BY key_hash HAVING count(*) > 1"
)
"""``sizes``: the blocks holding a pair at least."""


def oversized(max_block_size: int) -> str:
    """Blocks of more than ``max_block_size`` entries, with one entry in each."""
    return f"SELECT key_hash, one FROM sizes WHERE n > {int(max_block_size)}"


LOOKED_IN = (
    "SELECT b.key_hash, b.entry_no, e.cust, m.cust IS NOT NULL AS multi, e.holder "
    "FROM blocks b JOIN entries e ON e.entry_no = b.entry_no "
    "LEFT JOIN (SELECT cust FROM entries GROUP BY cust HAVING count(*) > 1) m "
    "ON m.cust = e.cust "
    "WHERE b.key_hash IN (SELECT key_hash FROM sizes) "
    "AND b.key_hash NOT IN (SELECT key_hash FROM refused)"
)
"""``ab``: each entry under each block worth pairing in, with its customer, whether the
customer has several entries (its pairs need a DISTINCT to be counted) and whether the
entry holds a generic key (judged direction by direction)."""

RAW_PAIRS_TWICE = (
    "SELECT sum(n * (n - 1)) FROM sizes WHERE key_hash NOT IN (SELECT key_hash FROM refused)"
)
"""Twice the (entry, entry) rows the blocks give: halved by the caller (engines spell
integer division differently)."""

HOLDERS = "SELECT count(*) FROM entries WHERE holder"


def filed_keys(d: Dialect) -> str:
    """``ekeys``: every paired entry's blocks (asked only of a generic holder's pairs)."""
    return f"SELECT entry_no, {d.gather('key_hash')} AS keys FROM ab GROUP BY entry_no"


def looking_keys(d: Dialect) -> str:
    """``qkeys``: the blocks a generic holder's own look-up would use."""
    return (
        f"SELECT entry_no, {d.gather('key_hash')} AS keys FROM revised "
        "WHERE key_hash IN (SELECT key_hash FROM ab) GROUP BY entry_no"
    )


def part_count(raw: int, part_size: int) -> int:
    """How many parts ``raw`` (entry, entry) rows are made in, about ``part_size`` each."""
    return max(1, -(-raw // part_size))


def part(parts: int, number: int) -> str:
    """``part``: the candidate pairs of the entries numbered ``number`` modulo ``parts``
    - every pair of entries of two customers sharing a block, once. The customers and
    flags ride along (they depend on the entries alone): counting needs no join back."""
    return (
        "SELECT DISTINCT x.entry_no AS a, y.entry_no AS b, x.cust AS ca, y.cust AS cb, "
        "x.multi OR y.multi AS m, x.holder OR y.holder AS h "
        "FROM ab x JOIN ab y ON x.key_hash = y.key_hash AND x.entry_no < y.entry_no "
        f"WHERE x.cust <> y.cust AND x.entry_no % {int(parts)} = {int(number)}"
    )


def screened(d: Dialect, config: IdentityConfig) -> str:
    """The part's pairs (of entries without generic keys) on which some rule could fire
    by the features' upper bounds (:mod:`crmcore.identity.pair_screen`)."""
    chosen = screens(config.rules)
    used = {name for screen in chosen for name, _ in screen.when + screen.vetoes}
    bounds = feature_bounds(d, config)
    features = ", ".join(f"{sql} AS {name}" for name, sql in bounds.items() if name in used)
    return (
        f"SELECT a, b, la, lb, true AS fwd, true AS bwd FROM (SELECT p.a, p.b, "
        f"a.live AS la, b.live AS lb, {features} "
        "FROM part p JOIN entries a ON a.entry_no = p.a "
        "JOIN entries b ON b.entry_no = p.b WHERE NOT p.h) f "
        f"WHERE {screen_predicate(chosen)}"
    )


def directed(d: Dialect) -> str:
    """``directed``: the part's pairs touching an entry that holds a generic key, with
    whether each entry looks up the other (it looks with fewer keys - ``qkeys`` - than it
    is filed under); kept when one does. Made once a part (when some entry holds a
    generic key): both the judge's pairs and the counted ones read it."""
    return (
        "SELECT * FROM (SELECT h.a, h.b, h.la, h.lb, h.ca, h.cb, "
        f"NOT h.ha OR coalesce({d.overlap('qa.keys', 'kb.keys')}, false) AS fwd, "
        f"NOT h.hb OR coalesce({d.overlap('qb.keys', 'ka.keys')}, false) AS bwd "
        "FROM (SELECT p.a, p.b, p.ca, p.cb, a.live AS la, b.live AS lb, a.holder AS ha, "
        "b.holder AS hb FROM part p JOIN entries a ON a.entry_no = p.a "
        "JOIN entries b ON b.entry_no = p.b WHERE p.h) h "
        "JOIN ekeys ka ON ka.entry_no = h.a JOIN ekeys kb ON kb.entry_no = h.b "
        "LEFT JOIN qkeys qa ON qa.entry_no = h.a LEFT JOIN qkeys qb ON qb.entry_no = h.b) d "
        "WHERE fwd OR bwd"
    )


def to_judge(d: Dialect, config: IdentityConfig, holders: bool) -> str:
    """Every pair of the part the judge must see: those the screen keeps and, when some
    entry holds a generic key (``holders``), those of ``directed``.
    One statement: a Spark job per statement costs more than the pairs of a small part."""
    kept = screened(d, config)
    if not holders:
        return kept
    return f"{kept} UNION ALL SELECT a, b, la, lb, fwd, bwd FROM directed"


SINGLE = "SELECT count(*) FROM part WHERE NOT (m OR h)"
"""The part's pairs of two customers with one entry each: one pair of customers each."""

_MULTI_CUSTOMERS = "SELECT ca, cb FROM part WHERE m AND NOT h"


def to_count(holders: bool) -> str:
    """The part's pairs of customers to count once over the whole scan: those of
    customers with several entries and (``holders``) those of ``directed``."""
    pairs = _MULTI_CUSTOMERS
    if holders:
        pairs += " UNION ALL SELECT ca, cb FROM directed"
    return f"SELECT DISTINCT least(ca, cb) AS ca, greatest(ca, cb) AS cb FROM ({pairs}) c"


COMPARED = "SELECT count(*) FROM (SELECT DISTINCT ca, cb FROM counted) c"
"""The pairs of customers gathered in ``counted`` by the parts, each once."""
