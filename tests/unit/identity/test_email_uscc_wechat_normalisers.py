from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore.identity import (
    InvalidIdentityValue,
    KeyKind,
    normalise_email,
    normalise_key,
    normalise_uscc,
    normalise_wechat,
)

# Real published codes (checksums valid): a state-owned enterprise and a government body.
VALID_USCC = "91110000600037341L"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("li.lei@example.com", "li.lei@example.com"),
        ("  Li.Lei@Example.COM ", "li.lei@example.com"),
        ("LI.LEI@EXAMPLE.COM", "li.lei@example.com"),
        ("ｓａｌｅｓ＠ｅｘａｍｐｌｅ．ｃｎ", "sales@example.cn"),
        ("sales+crm@163.com", "sales+crm@163.com"),
        ("张三@例子.中国", "张三@例子.中国"),
    ],
)
def test_email_addresses_are_trimmed_and_case_folded(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "li.lei", "li.lei@", "@example.com", "a b@example.com",
                                 "li..lei@example.com", "li.lei@example..com"])
def test_malformed_email_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentityValue):
        normalise_email(raw)


@given(
    local=st.from_regex(r"[a-zA-Z][a-zA-Z0-9._+-]{0,15}[a-zA-Z0-9]", fullmatch=True),
    domain=st.from_regex(r"[a-zA-Z]{1,10}\.(com|cn|net|com\.cn)", fullmatch=True),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_normalising_an_email_twice_changes_nothing(local: str, domain: str, pad: str) -> None:
    assume(".." not in local)
    once = normalise_email(f"{pad}{local}@{domain}{pad}")
    assert normalise_email(once) == once
    assert normalise_email(once.upper()) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID_USCC, VALID_USCC),
        ("91110000600037341l", VALID_USCC),
        (" 9111 0000 6000 3734 1L ", VALID_USCC),
        ("91110000-600037341-L", VALID_USCC),
        ("９１１１００００６０００３７３４１Ｌ", VALID_USCC),
        ("11100000000013127D", "11100000000013127D"),
    ],
)
def test_valid_credit_codes_normalise_to_18_upper_case_characters(raw: str, expected: str) -> None:
    assert normalise_uscc(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["91110000600037341M", "9111000060003734", "91110000600037341LX", "", "not a code"],
)
def test_credit_codes_with_a_bad_checksum_or_length_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentityValue):
        normalise_uscc(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LiLei_1988", "lilei_1988"),
        ("  lilei-1988 ", "lilei-1988"),
        ("wxid_a1b2c3d4e5f6g7", "wxid_a1b2c3d4e5f6g7"),
        ("123456789", "123456789"),  # a legacy QQ-number id
    ],
)
def test_wechat_ids_are_compared_without_case(raw: str, expected: str) -> None:
    assert normalise_wechat(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1abcdef", "li lei 1988", "a" * 21, "lilei@1988", ""])
def test_impossible_wechat_ids_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentityValue):
        normalise_wechat(raw)


def test_normalise_key_dispatches_on_kind() -> None:
    key = normalise_key("phone", "138 0013 8000")
    assert (key.kind, key.value, key.label) == (KeyKind.PHONE, "+8613800138000",
                                                "phone:+8613800138000")


def test_one_key_always_has_the_same_index_id_and_kinds_do_not_share_ids() -> None:
    phone = normalise_key(KeyKind.PHONE, "+86 138 0013 8000")
    assert phone.index_id == normalise_key(KeyKind.PHONE, "13800138000").index_id
    assert phone.index_id != normalise_key(KeyKind.WECHAT, "13800138000").index_id


def test_an_unknown_key_kind_is_refused() -> None:
    with pytest.raises(InvalidIdentityValue, match="fax"):
        normalise_key("fax", "123")
