"""A seeded, realistic Chinese B2B customer set with the duplicates reps really enter.

Each planted duplicate says what kind of variation it is and whether an exact
identity key can catch it (phone in another format, e-mail in other case, credit code
with spaces...) or only fuzzy matching can (company name typed differently, no key
in common). A few rows are invalid on purpose, as imports always have some.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum.cn import uscc as stdnum_uscc

from crmcore.identity import InvalidIdentityValue, normalise_phone

# City, area code, and the name the city is written with in a company name.
CITIES = [
    ("北京", "010"), ("上海", "021"), ("深圳", "0755"), ("广州", "020"), ("杭州", "0571"),
    ("成都", "028"), ("武汉", "027"), ("南京", "025"), ("苏州", "0512"), ("西安", "029"),
    ("天津", "022"), ("重庆", "023"), ("厦门", "0592"), ("青岛", "0532"), ("长沙", "0731"),
]
CORES = [
    ("华信", "huaxin"), ("中科", "zhongke"), ("鼎盛", "dingsheng"), ("瑞丰", "ruifeng"),
    ("恒达", "hengda"), ("博远", "boyuan"), ("天宇", "tianyu"), ("金桥", "jinqiao"),
    ("宏图", "hongtu"), ("星辰", "xingchen"), ("联创", "lianchuang"), ("汇通", "huitong"),
    ("创新", "chuangxin"), ("蓝海", "lanhai"), ("新锐", "xinrui"), ("安泰", "antai"),
    ("远景", "yuanjing"), ("盛世", "shengshi"), ("同方", "tongfang"), ("海纳", "haina"),
    ("云帆", "yunfan"), ("智达", "zhida"), ("东方", "dongfang"), ("长城", "changcheng"),
]
TRADES = [
    ("科技", "软件和信息技术服务业"), ("信息技术", "软件和信息技术服务业"),
    ("网络科技", "互联网"), ("智能制造", "制造业"), ("医疗器械", "医疗"),
    ("物流", "交通运输"), ("贸易", "批发和零售业"), ("生物科技", "医药"),
    ("新能源", "能源"), ("建筑工程", "建筑业"), ("教育咨询", "教育"), ("食品", "制造业"),
]
LEGAL_FORMS = ["有限公司", "有限公司", "股份有限公司", "有限责任公司"]
SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"),
            ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("胡", "hu"), ("郭", "guo")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
         ("磊", "lei"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
         ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("建华", "jianhua")]
SOURCES = ["官网表单", "展会", "百度推广", "电话咨询", "微信公众号", "转介绍", "地推", "抖音广告"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151",
                   "152", "158", "159", "176", "177", "180", "182", "186", "188", "189", "199"]


@dataclass(frozen=True)
class DemoRecord:
    """One row as a rep would enter it, with what the generator planted in it."""

    fields: dict[str, str]
    variation: str = "original"
    duplicate_of: int | None = None  # position of the original in the originals list
    exact_key_duplicate: bool = False  # True when a normalised identity key is shared
    invalid_field: str | None = None


@dataclass
class DemoDataset:
    originals: list[DemoRecord] = field(default_factory=list)
    # Originals first (the legacy book), then re-entries and bad rows in random order.
    rows: list[DemoRecord] = field(default_factory=list)


def generate(customers: int = 3000, seed: int = 20261123) -> DemoDataset:
    """``customers`` distinct customers, plus ~25% duplicates and ~1% invalid rows."""
    rng = random.Random(seed)
    data = DemoDataset()
    used_names: set[str] = set()
    for number in range(customers):
        data.originals.append(_original(rng, number, used_names))
    variants = [_variant(rng, i, data.originals[i]) for i in
                rng.sample(range(customers), k=customers // 4)]
    invalid = [_invalid(rng, data.originals[i]) for i in
               rng.sample(range(customers), k=max(1, customers // 100))]
    later = variants + invalid
    rng.shuffle(later)
    data.rows = data.originals + later
    return data


def _original(rng: random.Random, number: int, used: set[str]) -> DemoRecord:
    (city, area), trade_industry = rng.choice(CITIES), rng.choice(TRADES)
    while True:
        core, core_py = rng.choice(CORES)
        name = f"{city}{core}{trade_industry[0]}{rng.choice(LEGAL_FORMS)}"
        if name not in used:
            break
        core_py = f"{core_py}{rng.randint(2, 99)}"
        name = f"{city}{core}{rng.choice('一二三四五六七八九')}号{trade_industry[0]}有限公司"
        if name not in used:
            break
    used.add(name)
    (surname, s_py), (given, g_py) = rng.choice(SURNAMES), rng.choice(GIVEN)
    mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    fields = {
        "company_name": name,
        "contact_name": surname + given,
        "phone": _spaced_mobile(mobile),
        "email": f"{s_py}.{g_py}{number}@{core_py}{number % 97}.com.cn",
        "region": city,
        "industry": trade_industry[1],
        "source": rng.choice(SOURCES),
        "external_id": f"LEGACY-{number:06d}",
    }
    if rng.random() < 0.6:
        fields["uscc"] = _uscc(rng, area)
    if rng.random() < 0.4:
        fields["wechat"] = f"{s_py}{g_py}_{rng.randrange(10**4):04d}"
    if rng.random() < 0.3:
        fields["phone"] += f";{_landline(rng, area)}"
    return DemoRecord(fields)


def _variant(rng: random.Random, position: int, original: DemoRecord) -> DemoRecord:
    f = dict(original.fields)
    bare_name = _strip_legal_form(f["company_name"])
    f["external_id"] = f"CRM2-{rng.randrange(10**6):06d}"
    mobile = f["phone"].split(";")[0].replace(" ", "")
    kinds = ["phone_formats", "email_case"]
    if "uscc" in f:
        kinds.append("uscc_spacing")
    if "wechat" in f:
        kinds.append("wechat_case")
    kinds.append("name_only")
    kind = rng.choice(kinds)
    new = {"company_name": rng.choice([bare_name, f["company_name"]]),
           "contact_name": f["contact_name"], "region": f.get("region", ""),
           "source": rng.choice(SOURCES), "external_id": f["external_id"]}
    if kind == "phone_formats":
        new["phone"] = rng.choice([f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                                   f"0086 {mobile}", f"86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                                   f"(+86) {mobile}", mobile])
    elif kind == "email_case":
        new["email"] = f["email"].upper() if rng.random() < 0.5 else f"  {f['email'].title()} "
    elif kind == "uscc_spacing":
        code = f["uscc"]
        new["uscc"] = f"{code[:4]} {code[4:8]} {code[8:12]} {code[12:]}".lower()
    elif kind == "wechat_case":
        new["wechat"] = f["wechat"].upper()
    else:  # the company typed again from memory: no key in common
        new["company_name"] = bare_name
        new["phone"] = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    return DemoRecord(new, variation=kind, duplicate_of=position,
                      exact_key_duplicate=kind != "name_only")


def _invalid(rng: random.Random, original: DemoRecord) -> DemoRecord:
    f = dict(original.fields)
    f["external_id"] = f"BAD-{rng.randrange(10**6):06d}"
    choice = rng.choice(["uscc", "phone", "email"])
    if choice == "uscc":
        code = _uscc(rng, "010")
        f["uscc"] = code[:-1] + ("0" if code[-1] != "0" else "1")  # checksum broken
    elif choice == "phone":
        f["phone"] = f["phone"].split(";")[0].replace(" ", "")[:-1]  # a digit missing
    else:
        f["email"] = f["email"].replace("@", " at ")
    return DemoRecord(f, variation=f"invalid_{choice}", invalid_field=choice)


def _landline(rng: random.Random, area: str) -> str:
    """A landline valid in its city (local numbers are 7 or 8 digits by city)."""
    while True:
        digits = 8 if rng.random() < 0.8 else 7
        typed = f"{area}-{rng.randrange(2 * 10 ** (digits - 1), 9 * 10 ** (digits - 1))}"
        try:
            normalise_phone(typed)
        except InvalidIdentityValue:
            continue
        return typed


def _strip_legal_form(name: str) -> str:
    for form in sorted(set(LEGAL_FORMS), key=len, reverse=True):
        if name.endswith(form):
            return name.removesuffix(form)
    return name


def _spaced_mobile(mobile: str) -> str:
    return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"


def _uscc(rng: random.Random, area: str) -> str:
    region_code = {"010": "110105", "021": "310115", "0755": "440300"}.get(area, "330106")
    body = "91" + region_code + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                        for _ in range(9))
    return body + str(stdnum_uscc.calc_check_digit(body))
