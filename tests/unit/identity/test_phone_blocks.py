"""Phone blocking keys: a number one digit off must share a block with the original
(the identity check never compares records that share no block), and two unrelated
numbers of the same operator prefix must not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crmcore.identity.blocking import blocking_keys
from crmcore.identity.profile import MatchProfile


def _phone_blocks(country: str, digits: str) -> set[str]:
    profile = MatchProfile(None, None, (), national_phones=(f"{country}:{digits}",))
    return set(blocking_keys(profile))


@given(
    st.sampled_from(["86", "852", "1", "44"]),
    st.text("0123456789", min_size=6, max_size=15),
    st.data(),
)
def test_a_number_one_digit_off_shares_a_block(
    country: str, digits: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(digits) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[position]]))
    slipped = digits[:position] + digit + digits[position + 1 :]
    assert _phone_blocks(country, digits) & _phone_blocks(country, slipped)


def test_numbers_sharing_only_the_operator_prefix_share_no_block() -> None:
    # First six digits alike (the old p: key) - not the same number, not one digit off.
    assert not _phone_blocks("86", "13800138000") & _phone_blocks("86", "13800199999")
    assert not _phone_blocks("86", "13800138000") & _phone_blocks("852", "13800138000")
