"""Chinese administrative regions, as company names start with them (北京市, 广东省深圳市).

The list is the national administrative-division table shipped by the ``cpca`` package
(``resources/adcodes.csv``: every province, prefecture and county with its code), so
nobody here hand-types 3,500 place names. Only the data file is read: importing
``cpca`` itself would load pandas for nothing.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

# Suffixes whose removal leaves the name people use (广东省 -> 广东, 深圳市 -> 深圳).
# Longest first, so 维吾尔自治区 goes before 自治区. 自治州 and 盟 are left whole: their
# short forms keep an ethnic name (凉山彝族) that nobody writes.
_ADMIN_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "地区",
    "省",
    "市",
)
# Rows of the table that are placeholders or too generic to mark a region in a name.
_NOT_PLACE_NAMES = frozenset(
    {
        "市辖区",
        "城区",
        "郊区",
        "矿区",
        "市中区",
        "县",
        "省直辖县级行政区划",
        "自治区直辖县级行政区划",
    }
)


@dataclass(frozen=True)
class RegionTable:
    """Region names a company name may start with, mapped to the region they name.

    ``prefixes`` holds full names of every level (北京市, 广东省, 海淀区) and the short
    names of provinces and prefectures (北京, 广东, 深圳). County-level short names
    are left out: 朝阳 or 和平 as the start of a company name is more often the
    name itself than a district.
    """

    prefixes: dict[str, str]
    longest: int
    # Full name -> the division codes it names, cut to their level (北京市 -> ("11",),
    # 深圳市 -> ("4403",), 朝阳区 -> ("110105", "220104")): a county-level name can
    # stand in several prefectures.
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def leading_region(self, text: str) -> str | None:
        """The longest region name ``text`` starts with, if any."""
        for length in range(min(self.longest, len(text)), 1, -1):
            if text[:length] in self.prefixes:
                return text[:length]
        return None

    def canonical(self, name: str) -> str | None:
        """The full name of a region given by its full or short name."""
        return self.prefixes.get(name)

    def conflict(self, a: str, b: str) -> bool:
        """True if two regions (full names) cannot be the same registration place.

        Regions nest: 深圳市 lies in 广东省 and 海淀区 in 北京市, so a company written
        "广东…" and one written "深圳…" may be one; 北京市 and 上海市 may not. Profiles
        hold only names from the table; any other name conflicts with every other.
        """
        if a == b:
            return False
        codes_a, codes_b = self.codes.get(a), self.codes.get(b)
        if not codes_a or not codes_b:
            return True
        return not any(x.startswith(y) or y.startswith(x) for x in codes_a for y in codes_b)


def _short_name(full: str) -> str | None:
    for suffix in _ADMIN_SUFFIXES:
        if full.endswith(suffix) and len(full) - len(suffix) >= 2:
            return full[: -len(suffix)]
    return None


def _adcodes_file() -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        raise RuntimeError("the cpca package (region list) is not installed")
    return Path(spec.origin).parent / "resources" / "adcodes.csv"


def _level_code(code: str) -> str:
    """The code cut to its level: province 2 digits, prefecture 4, county 6."""
    if code[2:6] == "0000":
        return code[:2]
    if code[4:6] == "00":
        return code[:4]
    return code[:6]


@cache
def region_table() -> RegionTable:
    """The table, read once per process (3,511 rows, a few milliseconds)."""
    prefixes: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    with _adcodes_file().open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            code, name = row["adcode"], row["name"].strip()
            county_level = code[4:6] != "00"
            if name in _NOT_PLACE_NAMES or len(name) < (3 if county_level else 2):
                continue
            prefixes.setdefault(name, name)
            codes.setdefault(name, []).append(_level_code(code))
            short = None if county_level else _short_name(name)
            if short is not None:
                prefixes.setdefault(short, name)
    return RegionTable(
        prefixes,
        max(map(len, prefixes)),
        {name: tuple(sorted(found)) for name, found in codes.items()},
    )


@lru_cache(maxsize=1 << 12)
def provinces_of(region: str | None) -> tuple[str, ...]:
    """The provinces (two-digit codes) a region lies in - one, or several for a county
    name found in more than one (朝阳区: 北京 and 辽宁) - or every province when the
    region is unknown or None: a record that says nowhere may be anywhere."""
    table = region_table()
    found = {code[:2] for code in table.codes.get(region, ())} if region else set()
    return tuple(sorted(found)) if found else every_province()


@cache
def every_province() -> tuple[str, ...]:
    """Every province-level code in the table (34)."""
    return tuple(sorted({code[:2] for codes in region_table().codes.values() for code in codes}))


@cache
def province_slots() -> dict[str, int]:
    """Province code -> a small number (1-34), the low bits of a typo block's hash
    (:meth:`crmcore.identity.keys.KeyIds.block_hash`)."""
    return {code: number for number, code in enumerate(every_province(), start=1)}


@lru_cache(maxsize=1 << 16)
def regions_conflict(a: str, b: str) -> bool:
    """:meth:`RegionTable.conflict` of the process's table, remembered per pair (a scan
    compares millions of pairs among a few hundred regions)."""
    return region_table().conflict(a, b)
