"""Pinyin of Chinese text, with pypinyin imported by the first call.

pypinyin loads its phrase dictionary at import (~0.35 s here): a `crm` command that
never builds a match profile (a listing, a claim) should not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable

_lazy_pinyin: Callable[[str], list[str]] | None = None


def pinyin(text: str) -> list[str]:
    """pypinyin's ``lazy_pinyin``: one toneless syllable per character, other runs kept."""
    global _lazy_pinyin
    if _lazy_pinyin is None:
        from pypinyin import lazy_pinyin

        _lazy_pinyin = lazy_pinyin
    return _lazy_pinyin(text)
