"""Word lists the demo data is drawn from: cities, name characters, people, trades."""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin
from stdnum.cn import uscc as stdnum_uscc

# City, and its area code (for credit codes).
CITIES = [
    ("北京", "010"),
    ("上海", "021"),
    ("深圳", "0755"),
    ("广州", "020"),
    ("杭州", "0571"),
    ("成都", "028"),
    ("武汉", "027"),
    ("南京", "025"),
    ("苏州", "0512"),
    ("西安", "029"),
    ("天津", "022"),
    ("重庆", "023"),
    ("厦门", "0592"),
    ("青岛", "0532"),
    ("长沙", "0731"),
]
# Characters Chinese company names are made of (字号); a core is two or three of them.
CORE_CHARACTERS = (
    "华信中鼎盛瑞丰恒达博远天宇金桥宏图星辰联创汇通蓝海锐安泰景世同方纳云帆智东长城"
    "佳美和润德利嘉兴隆昌永康宁荣祥福茂源泉明光辉耀晨阳浩瀚海峰宸森林松柏青竹梅兰"
    "凯旋胜威力坤乾元亨通达贤英杰豪雄鹏飞翔龙凤麒麟虎豹狮象鹤鸿雁燕莺鹰隼朗逸卓越"
    "精诚致远思睿哲聪慧敏捷迅速腾跃奔驰骏骐骥骋拓展开启新创立建成功业绩铭记忆念想"
)
TRADES = [
    ("科技", "软件和信息技术服务业"),
    ("信息技术", "软件和信息技术服务业"),
    ("网络科技", "互联网"),
    ("智能制造", "制造业"),
    ("医疗器械", "医疗"),
    ("物流", "交通运输"),
    ("贸易", "批发和零售业"),
    ("生物科技", "医药"),
    ("新能源", "能源"),
    ("建筑工程", "建筑业"),
    ("教育咨询", "教育"),
    ("食品", "制造业"),
]
ENGLISH_WORDS = [
    "Acme",
    "Apex",
    "Summit",
    "Pioneer",
    "Harbor",
    "Crest",
    "Granite",
    "Falcon",
    "Meridian",
    "Orion",
    "Atlas",
    "Beacon",
    "Cedar",
    "Delta",
    "Everest",
    "Frontier",
    "Global",
    "Horizon",
    "Island",
    "Jade",
    "Keystone",
    "Liberty",
    "Maple",
    "Northern",
    "Oak",
    "Pacific",
    "Quantum",
    "River",
    "Silver",
    "Titan",
    "United",
    "Vector",
    "Western",
    "Zenith",
]
ENGLISH_TRADES = ("Trading", "Logistics", "Software", "Industries", "Foods", "Medical")
SURNAMES = [
    (s, lazy_pinyin(s)[0])
    for s in "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
]
# Given names are one or two of these characters, as diverse as real ones.
GIVEN_CHARACTERS = (
    "伟芳娜敏静磊洋勇艳杰涛明超秀英建华丽强军平刚桂文玉兰萍红鹏辉宇婷雪晨欣怡子轩浩然"
    "梓涵一诺思远雨桐俊佳琪志国海燕春梅立新亮博嘉颖慧晓东凤霞丹玲飞斌鑫洁莉云"
)
SOURCES = ["官网表单", "展会", "百度推广", "电话咨询", "微信公众号", "转介绍", "地推", "抖音广告"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "176",
    "177",
    "180",
    "182",
    "186",
    "188",
    "189",
    "199",
]

# Characters a rep may write for a sound heard on the phone: the core characters and
# other common ones, grouped by toneless pinyin.
_MORE_COMMON = "心新欣馨星兴鑫芯辛薪华化花桦话达答大搭远原源圆园元缘恒衡横宏弘洪红虹鸿"


def _by_sound(characters: str) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for character in dict.fromkeys(characters):
        groups.setdefault(lazy_pinyin(character)[0], []).append(character)
    return {sound: tuple(chars) for sound, chars in groups.items() if len(chars) > 1}


HOMOPHONE_SOURCE = _by_sound(CORE_CHARACTERS + _MORE_COMMON)


def uscc_for(rng: random.Random, area: str) -> str:
    """A valid unified social credit code registered in the city of ``area``."""
    region_code = {"010": "110105", "021": "310115", "0755": "440300"}.get(area, "330106")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region_code + "".join(rng.choice(alphabet) for _ in range(9))
    return body + str(stdnum_uscc.calc_check_digit(body))
