from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.identity import InvalidIdentityValue, normalise_phone

MOBILE = "+8613800138000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0013 8000", MOBILE),
        ("13800138000", MOBILE),
        ("+86-138-0013-8000", MOBILE),
        ("+86 138 0013 8000", MOBILE),
        ("0086 13800138000", MOBILE),
        ("86 138-0013-8000", MOBILE),
        ("8613800138000", MOBILE),
        ("(+86) 138 0013 8000", MOBILE),
        ("１３８００１３８０００", MOBILE),  # full-width digits from a Chinese IME
        ("  138.0013.8000  ", MOBILE),
        ("(010) 6552 1234", "+861065521234"),
        ("010-65521234", "+861065521234"),
        ("+86 10 6552 1234", "+861065521234"),
        ("0755-8888 6666", "+8675588886666"),
        ("400-800-8888", "+864008008888"),
        ("010-6552 1234 转 801", "+861065521234;ext=801"),
        ("010-65521234分机801", "+861065521234;ext=801"),
        ("+1 650 253 0000", "+16502530000"),
        ("+852 2123 4567", "+85221234567"),
    ],
)
def test_real_world_phone_formats_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "abc", "1380013800", "138001380001", "12345", "+86 000 0000 0000", "电话"],
)
def test_unusable_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentityValue):
        normalise_phone(raw)


def test_a_bare_number_is_read_in_the_given_region() -> None:
    assert normalise_phone("2123 4567", default_region="HK") == "+85221234567"


_SEPARATORS = st.sampled_from(["", " ", "-", ".", "  "])


@st.composite
def formatted_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mainland mobile and one of the many ways reps type it."""
    prefix = draw(st.sampled_from(["130", "135", "138", "139", "150", "158", "186", "199"]))
    rest = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    digits = prefix + rest
    sep = draw(_SEPARATORS)
    grouped = sep.join([digits[:3], digits[3:7], digits[7:]])
    country = draw(st.sampled_from(["", "+86 ", "+86-", "0086 ", "86 ", "(+86)"]))
    if draw(st.booleans()):
        grouped = grouped.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return "+86" + digits, country + grouped


@given(formatted_mobiles())
def test_any_formatting_of_one_mobile_gives_one_key(case: tuple[str, str]) -> None:
    expected, typed = case
    assert normalise_phone(typed) == expected


@given(formatted_mobiles())
def test_normalising_a_phone_twice_changes_nothing(case: tuple[str, str]) -> None:
    once = normalise_phone(case[1])
    assert normalise_phone(once) == once
