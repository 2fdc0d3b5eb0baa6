"""Pinyin of Chinese text, with pypinyin imported by the first call.

pypinyin loads its phrase dictionary at import (~0.35 s here): a `crm` command that
never builds a match profile (a listing, a claim) should not pay for it.

``pinyin(text)`` equals pypinyin's ``lazy_pinyin(text)``, computed word by word: the
text is cut as ``lazy_pinyin`` cuts it (its segmenter: Han runs by longest phrase),
and each word's syllables are kept in a cache. Words repeat across names - single
characters, 科技, 有限公司 - and converting a word (tone marks to plain letters, per
syllable) was a third of building a profile, which a rebuild does once per customer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

_segment: Callable[[str], list[str]] | None = None
_convert: Callable[[str], list[str]] | None = None


def pinyin(text: str) -> list[str]:
    """pypinyin's ``lazy_pinyin``: one toneless syllable per character, other runs kept."""
    global _segment, _convert
    if _segment is None:
        from pypinyin import lazy_pinyin
        from pypinyin.seg.simpleseg import seg

        _segment, _convert = seg, lazy_pinyin
    return [syllable for word in _segment(text) for syllable in _word(word)]


@lru_cache(maxsize=1 << 16)
def _word(word: str) -> tuple[str, ...]:
    """The syllables of one segmented word. ``lazy_pinyin`` cuts it again, which leaves
    it whole: a word is a phrase of the dictionary, one character or a non-Han run, and
    longest-phrase cutting finds the word itself."""
    assert _convert is not None
    return tuple(_convert(word))
