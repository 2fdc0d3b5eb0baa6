"""``crmcore.identity.pinyin`` caches syllables word by word: it must still say exactly
what pypinyin's ``lazy_pinyin`` says of the whole text, heteronyms in phrases included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from adapters.demo_names import CORE_CHARACTERS
from crmcore.identity.pinyin import pinyin

# Characters whose reading depends on the phrase around them (重庆/重要, 银行/行走,
# 长沙/长大, 音乐/快乐), plus company-name words and non-Han runs.
_PIECES = [
    *CORE_CHARACTERS,
    "重庆", "重要", "银行", "行走", "长沙", "长大", "音乐", "快乐", "朝阳", "朝代", "科技",
    "有限公司", "股份", "分公司", "厦门", "单于", "会计", "ABC", " ", "-", "123", "（",
    "）", "Ltd.", "ü",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_word_by_word_says_what_lazy_pinyin_says(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert pinyin(text) == lazy_pinyin(text)


def test_heteronyms_follow_their_phrase() -> None:
    assert pinyin("重庆银行") == ["chong", "qing", "yin", "hang"]
    assert pinyin("重要行走") == ["zhong", "yao", "xing", "zou"]
