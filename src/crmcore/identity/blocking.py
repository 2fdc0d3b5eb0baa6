"""Stage 2, blocking keys: the few cheap keys under which a true duplicate must share one.

Comparing a new record with a million customers costs ~150 ms even in rapidfuzz; a
record is instead compared only with the customers that share a blocking key. Each key
is chosen so that one variation kind cannot escape it:

* ``n:`` the core's sound (pinyin or Latin words): same core, traditional script,
  region or legal-form variants, homophones;
* ``t:`` the typo keys, qualified by province: the sound with one syllable left out,
  for cores of three syllables or more (two Latin words or more), and the whole sound
  (so an insertion meets the full name) - one mistyped, missing or extra character
  shares the key made by leaving that syllable out (a SymSpell-style deletion
  neighbourhood). Two-syllable deletions (``ke ji``) are common words: unqualified, their
  blocks grew with the book (87 postings read a check at a million customers against 27
  at 100k, docs/performance-history.md). Each is filed once per province the record's region
  lies in (深圳 and 广东 meet), so a block holds one province's customers; a record whose
  name and region column say nowhere is filed in every province, so a slip made with the
  city left out still meets its original. Typos across provinces are not looked for: a
  Chinese name is unique only in its region, and such pairs are the cross-city
  negatives the rules refuse anyway (a typo with the same phone or e-mail is still
  found by those keys);
* ``p:``/``q:``/``r:`` a phone's national digits cut in three parts, one key per pair
  of parts (pigeonhole): a number one digit off changes one part, so the pair of the
  other two is intact. Pairs of parts (8 and 7 digits of a mobile) stay selective as
  the book grows; the earlier first-six/last-five keys shared ~60 customers per phone
  at a million;
* ``e:`` an e-mail's local part (role mailboxes excepted) for sibling domains;
* ``k:`` every exact key, so an alias carrying a key (a blocked attempt) is found.

Person names are not blocked on: 张伟 shares a name with thousands of strangers, and a
person name alone never decides; it only corroborates a candidate found here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from crmcore.identity.profile import MatchProfile
from crmcore.identity.regions import every_province, provinces_of

_MIN_SYLLABLES_FOR_DELETIONS = {"han": 3, "latin": 2}


def _deletions(syllables: tuple[str, ...]) -> Iterator[str]:
    for position in range(len(syllables)):
        yield " ".join(syllables[:position] + syllables[position + 1 :])


@dataclass(frozen=True, slots=True)
class Blocks:
    """A profile's blocking keys as parts: ``plain`` keys, and the typo ``sounds``
    (``t:<sound>``) filed once per province of ``provinces``."""

    plain: tuple[str, ...]
    sounds: tuple[str, ...]
    provinces: tuple[str, ...]

    @property
    def everywhere(self) -> bool:
        """Filed in every province: the record says nowhere (a range look-up each)."""
        return len(self.provinces) == len(every_province())

    def keys(self) -> tuple[str, ...]:
        return self.plain + tuple(
            f"{sound}@{code}" for sound in self.sounds for code in self.provinces
        )


def blocks_of(profile: MatchProfile) -> Blocks:
    """The keys a profile is filed under and looked up by, as parts.

    Remembered for the profile object: one registration asks four times (the batch's
    read ahead, its own batch index, the check, the view filing the event), and the
    profiles of a batch are shared objects (``crmcore.identity.filing.record_profile``).
    """
    found = _BLOCKS.get(id(profile))
    if found is not None and found[0] is profile:
        return found[1]
    blocks = _blocks_of(profile)
    if len(_BLOCKS) >= _REMEMBERED:
        _BLOCKS.clear()  # bounded; a dict's get and set need no lock between threads
    # The profile is kept with its blocks, so its id cannot be reused while remembered.
    _BLOCKS[id(profile)] = (profile, blocks)
    return blocks


_BLOCKS: dict[int, tuple[MatchProfile, Blocks]] = {}
_REMEMBERED = 16_384


def _blocks_of(profile: MatchProfile) -> Blocks:
    keys: list[str] = [f"k:{label}" for label in profile.key_labels]
    sounds: list[str] = []
    company = profile.company
    if company is not None and company.syllables:
        keys.append(f"n:{company.phonetic}")
        script = "latin" if company.core.isascii() else "han"
        least = _MIN_SYLLABLES_FOR_DELETIONS[script]
        if len(company.syllables) >= least - 1:  # an insertion may reach least
            sounds.append(f"t:{company.phonetic}")
            if len(company.syllables) >= least:
                sounds.extend(f"t:{deleted}" for deleted in _deletions(company.syllables))
    for phone in profile.national_phones:
        country, _, digits = phone.partition(":")
        third = -(-len(digits) // 3)  # 11 digits: 4 + 4 + 3
        a, b, c = digits[:third], digits[third : 2 * third], digits[2 * third :]
        keys += [f"p:{country}:{a}|{b}", f"q:{country}:{a}|{c}", f"r:{country}:{b}|{c}"]
    keys.extend(f"e:{email.local}" for email in profile.emails if not email.is_role_mailbox)
    return Blocks(tuple(keys), tuple(sounds), provinces_of(profile.region) if sounds else ())


def blocking_keys(profile: MatchProfile) -> tuple[str, ...]:
    """The keys a profile is filed under and looked up by; order-free, may repeat."""
    return blocks_of(profile).keys()
