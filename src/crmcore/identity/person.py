"""Person names as they sound, so 张伟, 張偉, 章伟 and "Zhang Wei" can be compared.

Chinese names are read as pinyin without tones (a homophone typed by a rep who only
heard the name is the same name) with the surname split off, compound surnames
included. Latin names are lower-cased words with a Metaphone code each (jellyfish),
so "Jon Smyth" sounds like "John Smith". Honorifics (王先生, 李总) keep the surname
and drop the rest: all the rep knew was the surname.

>>> name = parse_person_name("張偉")
>>> (name.surname, name.syllables)
('zhang', ('zhang', 'wei'))
>>> parse_person_name("王总").given is None
True
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import jellyfish

from crmcore.identity.company import HAN_CHARACTER, fold_text
from crmcore.identity.pinyin import pinyin

# The compound surnames (复姓) in use today; everything else is a one-character surname.
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "南宫",
        "西门",
        "独孤",
        "百里",
        "呼延",
        "澹台",
        "公冶",
        "万俟",
        "闻人",
        "钟离",
        "申屠",
        "太史",
        "濮阳",
        "赫连",
    ]
)
_HONORIFICS = (
    "先生",
    "女士",
    "小姐",
    "经理",
    "总经理",
    "老师",
    "总监",
    "主任",
    "老板",
    "教授",
    "博士",
    "总",
    "工",
)
_LATIN_TITLES = frozenset(["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam"])
_NOT_WORD = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as comparable sounds; ``given`` is None when only a surname is known."""

    raw: str
    script: str  # "han" or "latin"
    surname: str
    given: str | None
    syllables: tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def phonetic(self) -> str:
        return "".join(self.syllables)


def _han_name(raw: str, text: str) -> PersonName:
    text = "".join(HAN_CHARACTER.findall(text))
    for title in sorted(_HONORIFICS, key=len, reverse=True):
        if text.endswith(title) and len(text) > len(title):
            text = text[: -len(title)]
            break
    else:
        title = ""
    cut = 2 if text[:2] in _COMPOUND_SURNAMES else 1
    syllables = tuple(map(sys.intern, pinyin(text)))  # ~400 distinct: share them
    surname = "".join(syllables[:cut])
    given_syllables = syllables[cut:]
    given = "".join(given_syllables) if given_syllables and not title else None
    if given is None:
        syllables = syllables[:cut]
    return PersonName(raw, "han", surname, given, syllables, syllables)


def _latin_name(raw: str, text: str) -> PersonName | None:
    if "," in text:  # "Smith, John" is written surname first
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    words = [w for w in _NOT_WORD.sub(" ", text).split() if w not in _LATIN_TITLES]
    if not words:
        return None
    given = " ".join(words[:-1]) or None
    codes = tuple(sys.intern(jellyfish.metaphone(word)) for word in words)
    return PersonName(raw, "latin", words[-1], given, tuple(words), codes)


def parse_person_name(raw: str) -> PersonName | None:
    """The comparable form of a contact name; None when nothing name-like is left."""
    text = fold_text(raw)
    if HAN_CHARACTER.search(text):
        return _han_name(raw, text)
    return _latin_name(raw, text)
