"""Company names reduced to the part that tells one company from another.

``北京市某某科技股份有限公司``, ``某某科技（北京）有限公司`` and ``北京某某科技`` all reduce
to the core ``某某科技`` in region 北京市; ``ACME Co., Ltd.`` and ``Acme Company
Limited`` to ``acme``. Traditional script is converted to simplified (OpenCC) before
anything else, so 華為 and 华为 are one name; the core's pinyin, without tones, is what
makes homophones (同音字) equal.

>>> name = parse_company_name("北京市某某科技股份有限公司")
>>> (name.core, name.region, name.legal_form)
('某某科技', '北京市', '股份有限公司')
>>> parse_company_name("某某科技（北京）有限公司").core
'某某科技'
>>> parse_company_name("ACME Co., Ltd.").core == parse_company_name("Acme Company Limited").core
True
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from crmcore.identity.pinyin import pinyin
from crmcore.identity.regions import region_table

if TYPE_CHECKING:
    from opencc import OpenCC

# Chinese legal forms, longest first so 股份有限公司 is not read as 有限公司 + leftover.
_HAN_LEGAL_FORMS = (
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "股份合作公司",
    "有限合伙企业",
    "普通合伙企业",
    "有限公司",
    "合伙企业",
    "有限合伙",
    "普通合伙",
    "特殊普通合伙",
    "个人独资企业",
    "集团公司",
    "总公司",
    "公司",
    "集团",
    "企业",
)
_BRANCH_MARKERS = ("分公司", "办事处", "代表处", "营业部", "分部", "分厂", "分店")
# Latin legal-form words, compared after lower-casing and dropping punctuation.
_LATIN_LEGAL_WORDS = frozenset(
    [
        "co",
        "company",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "corp",
        "corporation",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "plc",
        "pte",
        "pty",
        "kk",
        "kg",
        "oy",
        "ab",
        "spa",
        "srl",
        "group",
        "holdings",
    ]
)
# Words a region prefix must not leave standing alone: 朝阳科技 is a name, not
# "科技 in 朝阳". Only used as that guard, never to shorten a name.
_TRADE_WORDS = frozenset(
    [
        "科技",
        "技术",
        "信息",
        "网络",
        "贸易",
        "实业",
        "电子",
        "软件",
        "咨询",
        "服务",
        "发展",
        "投资",
        "管理",
        "建设",
        "工程",
        "商贸",
        "文化",
        "传媒",
        "物流",
        "医药",
        "生物",
        "能源",
        "环保",
        "机械",
        "设备",
        "电气",
        "制造",
        "食品",
        "教育",
        "信息技术",
        "网络科技",
        "智能制造",
        "医疗器械",
        "生物科技",
        "新能源",
        "建筑工程",
        "教育咨询",
        "信息科技",
        "电子商务",
        "供应链管理",
        "企业管理",
        "管理咨询",
        "文化传媒",
        "广告",
        "装饰工程",
        "房地产开发",
        "汽车销售",
        "餐饮管理",
        "人力资源",
        "国际贸易",
        "进出口",
        "化工",
        "新材料",
        "环境科技",
        "数据科技",
        "智能科技",
        "医疗科技",
        "农业科技",
    ]
)
_TRADES_LONGEST_FIRST = tuple(sorted(_TRADE_WORDS, key=len, reverse=True))
_BRACKETED = re.compile(r"\(([^()]*)\)")
_LATIN_NOISE = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
# One Chinese (Han) character; person names and the group brand use it too.
HAN_CHARACTER = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class CompanyName:
    """A company name split into what identifies it and what merely decorates it."""

    raw: str
    core: str
    syllables: tuple[str, ...]
    region: str | None = None
    legal_form: str | None = None
    branch: str | None = None
    # The trade (行业) word the core ends with, found once at parse time: comparisons
    # ask for it on every candidate pair, and a shared interned string costs one slot.
    trade: str = ""

    @property
    def phonetic(self) -> str:
        """The core as it sounds: pinyin without tones, or the Latin words."""
        return " ".join(self.syllables)

    @property
    def brand_and_trade(self) -> tuple[str, str]:
        """The core split into 字号 (brand) and 行业 (trade): 华信科技 -> (华信, 科技).

        A company name is region + brand + trade + legal form; the brand is what tells
        companies apart, so similarity is judged on it when both trades agree.
        """
        return brand_and_trade(self.core, self.trade)


def brand_and_trade(core: str, trade: str) -> tuple[str, str]:
    """:attr:`CompanyName.brand_and_trade` of a core and its trade word (the batch scan
    splits stored names without building a :class:`CompanyName`)."""
    if not trade:
        return core, ""
    return core[: -len(trade)], trade


@cache
def _t2s() -> OpenCC:
    # Imported here: loading OpenCC's dictionaries is paid by the first name folded.
    from opencc import OpenCC

    return OpenCC("t2s")


def fold_text(raw: str) -> str:
    """NFKC (full-width to half-width), traditional to simplified, lower case."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if HAN_CHARACTER.search(text):
        text = _t2s().convert(text)
    return text


def _strip_suffix(text: str, suffixes: tuple[str, ...]) -> tuple[str, str | None]:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)], suffix
    return text, None


def _take_brackets(text: str) -> tuple[str, str | None, str | None]:
    """Drops bracketed regions and legal forms; keeps other bracketed words in place."""
    region: str | None = None
    legal: str | None = None
    table = region_table()

    def replace(match: re.Match[str]) -> str:
        nonlocal region, legal
        inner = match.group(1).strip()
        if table.canonical(inner) is not None:
            region = region or table.canonical(inner)
            return ""
        if inner in _HAN_LEGAL_FORMS:
            legal = legal or inner
            return ""
        return inner

    return _BRACKETED.sub(replace, text), region, legal


def _strip_regions(text: str) -> tuple[str, str | None]:
    table = region_table()
    first: str | None = None
    while (prefix := table.leading_region(text)) is not None:
        rest = text[len(prefix) :]
        if len(rest) < 2 or rest in _TRADE_WORDS:
            break
        first = first or table.canonical(prefix)
        text = rest
    return text, first


def _split_branch(text: str) -> tuple[str, str | None]:
    """``某某科技有限公司上海分公司`` -> (``某某科技有限公司``, ``上海分公司``)."""
    for marker in _BRANCH_MARKERS:
        if text.endswith(marker):
            head = text[: -len(marker)]
            cut = head.rfind("公司")
            if cut > 0:
                return head[: cut + 2], head[cut + 2 :] + marker
            return head, marker
    return text, None


def _latin_core(text: str) -> tuple[str, str | None]:
    words = _LATIN_NOISE.sub(" ", text.replace("&", " and ")).split()
    if words[:1] == ["the"]:
        words = words[1:]
    legal: list[str] = []
    while len(words) > 1 and words[-1] in _LATIN_LEGAL_WORDS:
        legal.insert(0, words.pop())
    return " ".join(words), " ".join(legal) or None


def parse_company_name(raw: str) -> CompanyName:
    """Splits a company name into core, region, legal form and branch."""
    text = fold_text(raw)
    text, region, legal = _take_brackets(text)
    if not HAN_CHARACTER.search(text):
        core, latin_legal = _latin_core(text)
        words = tuple(sys.intern(w) for w in core.split())
        return CompanyName(raw, core, words, region, legal or latin_legal)
    text = _SPACES.sub("", text)
    text, branch = _split_branch(text)
    text, suffix = _strip_suffix(text, _HAN_LEGAL_FORMS)
    text, leading = _strip_regions(text)
    core = _LATIN_NOISE.sub("", text) or text
    # A few hundred distinct syllables across a million names: interned, stored once.
    syllables = tuple(sys.intern(s) for s in pinyin(core) if s.strip())
    return CompanyName(
        raw, core, syllables, region or leading, legal or suffix, branch, _trade_of(core)
    )


def _trade_of(core: str) -> str:
    for trade in _TRADES_LONGEST_FIRST:
        if core.endswith(trade) and len(core) > len(trade):
            return trade
    return ""
