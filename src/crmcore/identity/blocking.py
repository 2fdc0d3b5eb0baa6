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
* ``s:`` each typo sound again, qualified by the contact's surname sound instead of a
  province (``s:<sound>~<surname>``), across the country. A look-up reads a typo sound's
  blocks in its provinces only while they hold at most ``typo_block_size`` customers
  together (:func:`crowded`); past that it reads the sound's surname block instead.
  Without it a check's candidates grew with the book (a record that says nowhere reads
  its sounds in all 34 provinces: 75 postings at the 99th percentile at 100k customers,
  112 at a million, 29 at 10k). Nothing the rules could flag is lost: a pair found only
  through a crowded typo block is a short or common name one syllable off, which no
  default rule flags on the name alone - they ask for the same contact
  (``brand_typo_*``, ``similar_company_same_*``), whose surname the surname block
  carries, or a near phone or e-mail, which have keys of their own;
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


TYPO_BLOCK_SIZE = 10
"""A typo sound holding more customers than this in a record's provinces is read
through its surname block (``IdentityConfig.typo_block_size``; docs/identity.md)."""


@dataclass(frozen=True, slots=True)
class Blocks:
    """A profile's blocking keys as parts: ``plain`` keys, the typo ``sounds``
    (``t:<sound>``) filed once per province of ``provinces``, and once under the
    contact's ``surname`` sound when it has one."""

    plain: tuple[str, ...]
    sounds: tuple[str, ...]
    provinces: tuple[str, ...]
    surname: str | None = None

    def surname_key(self, sound: str) -> str | None:
        """The surname block of a typo sound (None without a contact surname)."""
        return None if self.surname is None else f"s:{sound[2:]}~{self.surname}"

    def province_keys(self, sound: str) -> tuple[str, ...]:
        """A typo sound's blocks, one per province."""
        return tuple(f"{sound}@{code}" for code in self.provinces)

    @property
    def everywhere(self) -> bool:
        """Filed in every province: the record says nowhere (a range look-up each)."""
        return len(self.provinces) == len(every_province())

    def keys(self) -> tuple[str, ...]:
        """Every key the profile is filed under (a look-up reads the typo ones as
        :func:`crowded` says)."""
        surnames = tuple(
            key for sound in self.sounds if (key := self.surname_key(sound)) is not None
        )
        return (
            self.plain
            + tuple(key for sound in self.sounds for key in self.province_keys(sound))
            + surnames
        )


def crowded(province_size: int, typo_block_size: int) -> bool:
    """Whether a typo sound holding ``province_size`` entries in a record's provinces
    (each once: a record that says nowhere is in all 34 blocks) is read through its
    surname block instead (none without a contact surname). Every index reads typo
    blocks by this one rule; a sound with an oversized block is crowded."""
    return province_size > typo_block_size


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
    contact = profile.contact
    surname = contact.surname if contact is not None and contact.surname and sounds else None
    return Blocks(
        tuple(keys), tuple(sounds), provinces_of(profile.region) if sounds else (), surname
    )


def blocking_keys(profile: MatchProfile) -> tuple[str, ...]:
    """The keys a profile is filed under and looked up by; order-free, may repeat."""
    return blocks_of(profile).keys()
