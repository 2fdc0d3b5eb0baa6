"""A seeded, labelled Chinese B2B customer book with the duplicates reps really enter.

Used by ``crm demo`` (a few thousand rows) and by ``scripts/bench_identity_quality.py``
(tens of thousands). Every row says which real-world company it is (``entity``) and how
it was made (``variation``), so a run can be scored:

* ``original`` - the legacy book; cores are drawn at random, so some originals are
  near neighbours of others, as in real books;
* exact-key re-entries - ``phone_format``, ``email_case``, ``uscc_spacing``,
  ``wechat_case``, ``external_id_rerun``;
* fuzzy re-entries sharing no key - ``name_retyped``, ``suffix_region``,
  ``traditional``, ``homophone``, ``typo``, ``typo_no_region`` (a slip and the
  city left out: no region on one side), ``english_variant``, ``phone_one_digit``,
  ``email_sibling_domain``;
* hard non-duplicates (new companies) - ``similar_name_same_city`` (one character of
  the name differs, not a homophone), ``same_person_other_company``,
  ``same_brand_other_city`` (the same 字号 and 行业 registered in another province: a
  Chinese name is unique only in its region; the city is written in the name, in
  brackets, or only in the region column) and ``same_brand_other_trade`` (the same
  字号 in the same city with another 行业 word: 华信科技 and 华信物流);
* a few ``invalid`` rows, as every import has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from opencc import OpenCC
from pypinyin import lazy_pinyin

from adapters.demo_names import (
    CITIES,
    CORE_CHARACTERS,
    ENGLISH_TRADES,
    ENGLISH_WORDS,
    GIVEN_CHARACTERS,
    HOMOPHONE_SOURCE,
    MOBILE_PREFIXES,
    SOURCES,
    SURNAMES,
    TRADES,
    uscc_for,
)

EXACT_KEY_VARIATIONS = (
    "phone_format",
    "email_case",
    "uscc_spacing",
    "wechat_case",
    "external_id_rerun",
)
FUZZY_VARIATIONS = (
    "name_retyped",
    "suffix_region",
    "traditional",
    "homophone",
    "typo",
    "typo_no_region",
    "english_variant",
    "phone_one_digit",
    "email_sibling_domain",
)
HARD_NEGATIVES = (
    "similar_name_same_city",
    "same_person_other_company",
    "same_brand_other_city",
    "same_brand_other_trade",
)
_ENGLISH_LEGAL_FORMS = ("Co., Ltd.", "Limited", "Inc.", "LLC")
_SLIP_ATTEMPTS = 50
_TRADES_LONGEST_FIRST = sorted((trade for trade, _ in TRADES), key=len, reverse=True)


@dataclass(frozen=True)
class DemoRecord:
    """One row as a rep would enter it, with what the generator planted in it."""

    fields: dict[str, str]
    entity: int
    variation: str = "original"
    invalid_field: str | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.variation in EXACT_KEY_VARIATIONS + FUZZY_VARIATIONS

    @property
    def exact_key_duplicate(self) -> bool:
        return self.variation in EXACT_KEY_VARIATIONS


@dataclass
class DemoDataset:
    originals: list[DemoRecord] = field(default_factory=list)
    # Originals first (the legacy book), then re-entries, new companies and bad rows.
    rows: list[DemoRecord] = field(default_factory=list)


def generate(
    customers: int = 3000,
    seed: int = 20261123,
    duplicate_share: float = 0.25,
    negative_share: float = 0.05,
) -> DemoDataset:
    """``customers`` originals plus duplicates, hard non-duplicates and ~1% invalid rows."""
    rng = random.Random(seed)
    t2s_check = _Traditional()
    data = DemoDataset()
    used: set[str] = set()
    for number in range(customers):
        data.originals.append(_original(rng, number, used))
    later: list[DemoRecord] = []
    for i in rng.choices(range(customers), k=int(customers * duplicate_share)):
        later.append(_variant(rng, data.originals[i], t2s_check, used))
    next_entity = customers
    for i in rng.choices(range(customers), k=int(customers * negative_share)):
        record = _negative(rng, data.originals[i], next_entity, used)
        if record is not None:
            later.append(record)
            next_entity += 1
    for i in rng.sample(range(customers), k=max(1, customers // 100)):
        later.append(_invalid(rng, data.originals[i]))
    rng.shuffle(later)
    data.rows = data.originals + later
    return data


def _person(rng: random.Random) -> tuple[str, str, str]:
    surname, s_py = rng.choice(SURNAMES)
    given = "".join(rng.choices(GIVEN_CHARACTERS, k=rng.choice((1, 2, 2))))
    return surname + given, s_py, "".join(lazy_pinyin(given))


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _original(rng: random.Random, number: int, used: set[str]) -> DemoRecord:
    city, area = rng.choice(CITIES)
    english = rng.random() < 0.08
    attempts = 0
    while True:
        attempts += 1
        if english:
            # Two-word names run out after a few thousand, three-word ones after ~40,000:
            # a large book gets longer names rather than an endless search.
            words = rng.sample(ENGLISH_WORDS, 2 if attempts <= 10 else 3 if attempts <= 30 else 4)
            core = f"{' '.join(words)} {rng.choice(ENGLISH_TRADES)}"
            name = f"{core} {rng.choice(_ENGLISH_LEGAL_FORMS)}"
            trade, industry = "", "外资企业"
        else:
            core = "".join(rng.sample(CORE_CHARACTERS, rng.choice((2, 2, 3))))
            trade, industry = rng.choice(TRADES)
            name = f"{city}{core}{trade}{rng.choice(['有限公司', '有限公司', '股份有限公司'])}"
        # Word order is ignored for uniqueness: "Jade River" and "River Jade" are not
        # two real companies' names often enough to plant them as distinct.
        unique = " ".join(sorted(core.lower().split())) if english else core
        if unique not in used:
            used.add(unique)
            break
    contact, s_py, g_py = _person(rng)
    fields = {
        "company_name": name,
        "contact_name": contact,
        "phone": _spaced(_mobile(rng)),
        "email": f"{s_py}.{g_py}{number}@{_domain(core)}{number}.com",
        "region": city,
        "industry": industry,
        "source": rng.choice(SOURCES),
        "external_id": f"LEGACY-{number:06d}",
    }
    if rng.random() < 0.6:
        fields["uscc"] = uscc_for(rng, area)
    if rng.random() < 0.4:
        fields["wechat"] = f"{(s_py + g_py)[:14]}_{rng.randrange(10**5):05d}"  # <= 20 chars
    return DemoRecord(fields, entity=number)


def _domain(core: str) -> str:
    return "".join(lazy_pinyin(core)).replace(" ", "").lower()[:12]


def _spaced(mobile: str) -> str:
    return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"


class _Traditional:
    def __init__(self) -> None:
        self.converter = OpenCC("s2t")

    def __call__(self, text: str) -> str:
        return str(self.converter.convert(text))


def _homophone(rng: random.Random, core: str) -> str | None:
    positions = list(range(len(core)))
    rng.shuffle(positions)
    for position in positions:
        sound = lazy_pinyin(core[position])[0]
        choices = [c for c in HOMOPHONE_SOURCE.get(sound, ()) if c != core[position]]
        if choices:
            return core[:position] + rng.choice(choices) + core[position + 1 :]
    return None


def _typo(rng: random.Random, core: str) -> str:
    position = rng.randrange(len(core))
    sound = lazy_pinyin(core[position])[0]
    while True:
        replacement = rng.choice(CORE_CHARACTERS)
        if replacement != core[position] and lazy_pinyin(replacement)[0] != sound:
            return core[:position] + replacement + core[position + 1 :]


def _core_of(record: DemoRecord) -> tuple[str, str, str]:
    """(city, core, rest) of a generated Chinese name."""
    name, city = record.fields["company_name"], record.fields["region"]
    body = name.removeprefix(city)
    for trade in _TRADES_LONGEST_FIRST:
        at = body.find(trade)
        if at > 0:
            return city, body[:at], body[at:]
    raise ValueError(name)


def _variant(
    rng: random.Random, original: DemoRecord, traditional: _Traditional, used: set[str]
) -> DemoRecord:
    f = original.fields
    is_english = f["industry"] == "外资企业"
    kinds = ["phone_format", "email_case", "external_id_rerun", "name_retyped"]
    kinds += ["uscc_spacing"] * ("uscc" in f) + ["wechat_case"] * ("wechat" in f)
    kinds += ["phone_one_digit", "email_sibling_domain"]
    kinds += ["english_variant"] * 3 if is_english else ["suffix_region", "traditional", "typo"]
    kinds += ["homophone"] * (not is_english)
    kind = rng.choice(kinds)
    new = {
        "company_name": f["company_name"],
        "contact_name": f["contact_name"],
        "source": rng.choice(SOURCES),
    }
    mobile = f["phone"].replace(" ", "")
    if kind == "phone_format":
        new["phone"] = rng.choice(
            [f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", f"0086 {mobile}", f"(+86) {mobile}"]
        )
    elif kind == "email_case":
        new["email"] = f["email"].upper()
    elif kind == "uscc_spacing":
        code = f["uscc"].lower()
        new["uscc"] = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    elif kind == "wechat_case":
        new["wechat"] = f["wechat"].upper()
    elif kind == "external_id_rerun":
        new["external_id"] = f["external_id"]
        new["company_name"] = f["company_name"].replace("有限公司", "")
    elif kind == "suffix_region":
        city, core, rest = _core_of(original)
        trade = rest.replace("股份有限公司", "").replace("有限公司", "")
        new["company_name"] = rng.choice(
            [
                f"{city}市{core}{trade}股份有限公司",
                f"{core}{trade}（{city}）有限公司",
                city + core + trade,
            ]
        )
    elif kind == "traditional":
        new["company_name"] = traditional(f["company_name"])
        new["contact_name"] = traditional(f["contact_name"])
    elif kind in ("homophone", "typo"):
        city, core, rest = _core_of(original)
        changed = _homophone(rng, core) if kind == "homophone" else _typo(rng, core)
        if changed is None:
            kind, changed = "typo", _typo(rng, core)
        # A slip that spells another company's registered name is that company's
        # name: no label could say which was meant, so the slip is made again. In a
        # book so large that every slip of a short name is taken, the name is retyped
        # as it was instead.
        for _ in range(_SLIP_ATTEMPTS):
            if changed not in used:
                used.add(changed)  # nor may a later slip of another company spell it
                new["company_name"] = city + changed + rest
                if kind == "typo" and original.entity % 3 == 0:
                    # The hurried form: the slip made and the city left out, so the
                    # re-entry carries no region at all (no rng draw: the rest of the
                    # book stays as it was).
                    kind, new["company_name"] = "typo_no_region", changed + rest
                break
            kind, changed = "typo", _typo(rng, core)
        else:
            kind = "name_retyped"
    elif kind == "english_variant":
        base = f["company_name"]
        for legal in _ENGLISH_LEGAL_FORMS:
            base = base.removesuffix(" " + legal)
        new["company_name"] = rng.choice(
            [base.upper() + " COMPANY LIMITED", base.lower() + " ltd", base + ", Inc"]
        )
    elif kind == "phone_one_digit":
        position = rng.randrange(4, 11)
        digit = str((int(mobile[position]) + rng.randrange(1, 10)) % 10)
        new["phone"] = mobile[:position] + digit + mobile[position + 1 :]
        del new["company_name"]
    elif kind == "email_sibling_domain":
        new["email"] = f["email"].replace(".com", rng.choice([".cn", ".com.cn", ".net"]))
        del new["company_name"]
    return DemoRecord(new, entity=original.entity, variation=kind)


def _negative(
    rng: random.Random, original: DemoRecord, entity: int, used: set[str]
) -> DemoRecord | None:
    if original.fields["industry"] == "外资企业":
        return None
    city, core, rest = _core_of(original)
    contact, s_py, g_py = _person(rng)
    kind = rng.choice(HARD_NEGATIVES)
    region = city
    if kind == "similar_name_same_city":
        other = _typo(rng, core)
        if other in used:
            return None
        used.add(other)
        name = city + other + rest
    elif kind == "same_brand_other_city":
        region = _other_province(rng, city)
        legal = rest[_trade_length(rest) :]
        trade = rest[: _trade_length(rest)]
        name = rng.choice(
            [
                f"{region}{core}{trade}{legal}",
                f"{core}{trade}（{region}）{legal}",
                core + trade + legal,
            ]
        )
        if f"{region}|{core}" in used:  # one company per brand and region
            return None
        used.add(f"{region}|{core}")
    elif kind == "same_brand_other_trade":
        trade = rest[: _trade_length(rest)]
        other_trade = rng.choice([t for t, _ in TRADES if not _related_trades(t, trade)])
        if f"{core}|{other_trade}" in used:
            return None
        used.add(f"{core}|{other_trade}")
        name = f"{city}{core}{other_trade}有限公司"
    else:
        other = "".join(rng.sample(CORE_CHARACTERS, 3))
        if other in used:
            return None
        used.add(other)
        name = f"{city}{other}{rng.choice(TRADES)[0]}有限公司"
        contact = original.fields["contact_name"]
    fields = {
        "company_name": name,
        "contact_name": contact,
        "phone": _spaced(_mobile(rng)),
        "email": f"{s_py}.{g_py}.{entity}@{_domain(name)}.cn",
        "region": region,
        "source": rng.choice(SOURCES),
    }
    return DemoRecord(fields, entity=entity, variation=kind)


def _trade_length(rest: str) -> int:
    """Length of the 行业 word a generated name's rest starts with (科技有限公司 -> 2)."""
    return next(len(t) for t in _TRADES_LONGEST_FIRST if rest.startswith(t))


def _related_trades(a: str, b: str) -> bool:
    """True if one trade word contains the other (科技 / 网络科技): not another 行业."""
    return a in b or b in a


def _other_province(rng: random.Random, city: str) -> str:
    """A demo city in another province (苏州 and 南京 share one, so neither is picked)."""
    province_of = {"苏州": "江苏", "南京": "江苏"}
    own = province_of.get(city, city)
    return rng.choice([c for c, _ in CITIES if province_of.get(c, c) != own])


def _invalid(rng: random.Random, original: DemoRecord) -> DemoRecord:
    f = {"company_name": original.fields["company_name"] + "（新）"}
    field_name, value = rng.choice(
        [
            ("phone", "138 0013 800"),
            ("email", "li.lei@@example.com"),
            ("uscc", "91110000600037341X"),
            ("wechat", "1abc"),
        ]
    )
    f[field_name] = value
    return DemoRecord(f, entity=-1, variation="invalid", invalid_field=field_name)
