"""Typo blocking keys, qualified by province: a one-character slip must share a block
with its original wherever it can be the same company - the same province, or a record
that says nowhere - and blocks must not span the country (they grew with the book)."""

from __future__ import annotations

import pytest

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.profile import MatchProfile, build_profile
from crmcore.identity.regions import every_province, provinces_of


def _typo_keys(company: str, region: str | None = None) -> set[str]:
    profile = build_profile(company_name=company, contact_name=None, keys=[], region=region)
    return {key for key in blocking_keys(profile) if key.startswith("t:")}


@pytest.mark.parametrize(("original", "slip", "region"), [
    ("北京华信鼎盛科技有限公司", "北京华信鼎成科技有限公司", None),  # substitution
    ("北京华信鼎盛科技有限公司", "北京华信盛科技有限公司", None),  # a character missing
    ("北京华信科技有限公司", "北京华信达科技有限公司", None),  # one extra: meets the full name
    ("北京华信鼎盛科技有限公司", "华信鼎成科技有限公司", None),  # the city left out
    ("华信鼎盛科技有限公司", "北京华信鼎成科技有限公司", None),  # ... on the other side
    ("深圳华信鼎盛科技有限公司", "华信鼎成科技有限公司", "广东"),  # the city's province
    ("北京华信鼎盛科技有限公司", "华信鼎成科技有限公司", "海淀区"),  # a district in it
    ("Jade River Trading Co., Ltd.", "Jade Rivet Trading Limited", None),
])
def test_a_slip_shares_a_typo_block_with_its_original(
    original: str, slip: str, region: str | None
) -> None:
    assert _typo_keys(original) & _typo_keys(slip, region)


def test_slips_in_two_provinces_share_no_typo_block() -> None:
    assert not _typo_keys("北京华信鼎盛科技有限公司") & _typo_keys("上海华信鼎成科技有限公司")
    beijing = _typo_keys("华信鼎盛科技有限公司", "北京")
    assert not beijing & _typo_keys("华信鼎成科技有限公司", "上海")


def test_a_record_that_says_nowhere_is_filed_in_every_province() -> None:
    provinces = every_province()
    assert len(provinces) == 34
    assert provinces_of(None) == provinces_of("华东") == provinces  # not a region
    keys = _typo_keys("华信鼎盛科技有限公司")
    assert {key.rpartition("@")[2] for key in keys} == set(provinces)
    assert len({key.rpartition("@")[2] for key in _typo_keys("华信鼎盛科技", "北京")}) == 1


def test_a_county_name_in_two_provinces_files_in_both() -> None:
    assert provinces_of("朝阳区") == ("11", "22")
    assert {key.rpartition("@")[2] for key in _typo_keys("华信鼎盛科技", "朝阳区")} == {"11", "22"}


def test_the_full_sound_and_exact_keys_stay_unqualified() -> None:
    profile = build_profile(company_name="北京华信鼎盛科技有限公司", contact_name=None,
                            keys=[], region=None)
    plain = [key for key in blocking_keys(profile) if not key.startswith("t:")]
    assert plain
    assert all("@" not in key for key in plain)
    assert not {key for key in blocking_keys(MatchProfile(None, None, ())) if key.startswith("t:")}
