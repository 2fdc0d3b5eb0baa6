"""Stage 4, compare: one number in [0, 1] per feature for a pair of profiles.

Each comparison is symmetric (``compare(a, b) == compare(b, a)``) and ordered like
splink's comparison levels: the strongest agreement is tested first and the first level
that holds gives the value. A feature both records lack is absent, not zero, so a rule
can tell "differs" from "unknown".
"""

from __future__ import annotations

from itertools import product

import jellyfish
from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from crmcore.identity.company import CompanyName
from crmcore.identity.features import ComparisonWeights
from crmcore.identity.person import PersonName
from crmcore.identity.profile import EmailParts, MatchProfile
from crmcore.identity.regions import regions_conflict


def company_similarity(a: CompanyName, b: CompanyName, weights: ComparisonWeights) -> float:
    """1.0 same core; ``homophone`` same pinyin; else the edit-distance ratio of the cores.

    The result is scaled down when exactly one name is a branch (a branch is a separate
    customer of the same group). Regions are weighed by :func:`compare`, which knows
    the region of the whole record, whether written in the name or in its own column.
    """
    if a.core == b.core:
        base = 1.0
    elif a.syllables == b.syllables:
        base = weights.homophone
    elif a.core.isascii() and b.core.isascii():
        base = _word_similarity(a.syllables, b.syllables)
    else:
        base = _han_similarity(a, b)
    if (a.branch is None) != (b.branch is None) or (a.branch and a.branch != b.branch):
        base *= weights.branch_factor
    return base


def trades_conflict(a: CompanyName, b: CompanyName) -> bool | None:
    """Whether two names end in different 行业 words (华信科技 / 华信物流); None when a
    name has none. Related words (科技 / 网络科技) are not a conflict."""
    if not a.trade or not b.trade:
        return None
    return a.trade not in b.trade and b.trade not in a.trade


def _han_similarity(a: CompanyName, b: CompanyName) -> float:
    """Edit-distance ratio, judged on the brands (字号) when both names share a trade:
    华信科技 and 华星科技 share 科技 but not their brand, so they score 0.625, not 0.75.
    """
    (brand_a, trade_a), (brand_b, trade_b) = a.brand_and_trade, b.brand_and_trade
    if trade_a and trade_a == trade_b:
        return 0.75 * ratio(brand_a, brand_b) / 100 + 0.25
    return ratio(a.core, b.core) / 100


def _word_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Latin names compare word by word: "Jade River" and "Jade Silver" share one word of
    two, however many letters they share. A misspelt word (one edit, transpositions
    included, in a word of four letters or more) counts 0.9. Symmetric: the lower of the
    two directions; the same words in another order stay below the block threshold.
    """

    def word(x: str, y: str) -> float:
        if x == y:
            return 1.0
        if min(len(x), len(y)) >= 4 and jellyfish.damerau_levenshtein_distance(x, y) == 1:
            return 0.9
        return 0.0

    def one_way(x: tuple[str, ...], y: tuple[str, ...]) -> float:
        return sum(max(word(w, other) for other in y) for w in x) / max(len(x), len(y))

    if not a or not b:
        return 0.0
    similarity = min(one_way(a, b), one_way(b, a))
    if a != b and sorted(a) == sorted(b):
        similarity = min(similarity, 0.9)
    return similarity


def contact_similarity(a: PersonName, b: PersonName) -> float:
    """Sound-alike similarity of two person names, across scripts (王伟 vs Wang Wei)."""
    if a.given is None or b.given is None:  # one side is "王先生": only surnames compare
        return 0.8 if a.surname == b.surname else 0.0
    if a.phonetic == b.phonetic:
        return 1.0
    if a.script == b.script == "latin" and a.codes == b.codes:
        return 0.95
    if a.script == b.script == "han":
        # Two Chinese names that do not sound alike are two people (王伟 / 王玮 sound
        # alike and are equal above); similar spelling says little, so stay below 0.9.
        return round(min(0.85, jellyfish.jaro_winkler_similarity(a.phonetic, b.phonetic)), 4)
    # Either side may be written given name first ("Wei Wang"): try both orders.
    similarities = (
        jellyfish.jaro_winkler_similarity(a.phonetic, b.phonetic),
        jellyfish.jaro_winkler_similarity(_rotated(a), b.phonetic),
        jellyfish.jaro_winkler_similarity(a.phonetic, _rotated(b)),
    )
    return round(max(similarities), 4)


def _rotated(name: PersonName) -> str:
    return "".join(name.syllables[-1:] + name.syllables[:-1])


def _phones_near(a: tuple[str, ...], b: tuple[str, ...]) -> float | None:
    if not a or not b:
        return None
    for x, y in product(a, b):
        country_x, _, digits_x = x.partition(":")
        country_y, _, digits_y = y.partition(":")
        if country_x == country_y and x != y and Levenshtein.distance(digits_x, digits_y) <= 1:
            return 1.0
    return 0.0


def _emails_sibling(a: tuple[EmailParts, ...], b: tuple[EmailParts, ...]) -> float | None:
    if not a or not b:
        return None
    for x, y in product(a, b):
        if (
            x.local == y.local
            and not x.is_role_mailbox
            and x.domain != y.domain
            and x.domain_label == y.domain_label
        ):
            return 1.0
    return 0.0


def compare(
    a: MatchProfile,
    b: MatchProfile,
    weights: ComparisonWeights,
    shared_keys: bool | None = None,
) -> dict[str, float]:
    """The features of a pair; a feature neither side can speak to is left out.

    ``shared_keys`` says whether the pair shares an exact key, when the caller has
    already worked it out (the identity check does, for its explanation).
    """
    features: dict[str, float] = {}
    shared = bool(a.shared_keys(b)) if shared_keys is None else shared_keys
    features["exact_key"] = 1.0 if shared else 0.0
    conflict = False
    if a.region and b.region:
        # Most candidate pairs share their region: equal strings skip the table.
        conflict = a.region != b.region and regions_conflict(a.region, b.region)
        features["region_conflict"] = 1.0 if conflict else 0.0
        features["same_region"] = 0.0 if conflict else 1.0
    if a.company is not None and b.company is not None:
        # A Chinese name is unique only where it was registered: the same name in two
        # regions that cannot hold one another is often two companies.
        similarity = company_similarity(a.company, b.company, weights)
        if conflict:
            similarity *= weights.region_conflict_factor
        features["company"] = round(similarity, 4)
        if (trades := trades_conflict(a.company, b.company)) is not None:
            features["trade_conflict"] = 1.0 if trades else 0.0
    if a.contact is not None and b.contact is not None:
        features["contact"] = contact_similarity(a.contact, b.contact)
        features["contact_surname"] = 1.0 if a.contact.surname == b.contact.surname else 0.0
    if (near := _phones_near(a.national_phones, b.national_phones)) is not None:
        features["phone_near"] = near
    if (sibling := _emails_sibling(a.emails, b.emails)) is not None:
        features["email_sibling"] = sibling
    return features
