"""Bad input gets an error naming the field, before any event exists."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    KeyKind,
    RegisterCustomer,
    ValidationFailed,
    parse_command,
)

GOOD = {"actor": "rep-1", "company_name": "北京某某科技有限公司"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"uscc": "91110000600037341M"}, "uscc"),
        ({"phone": "1380013800"}, "phone"),
        ({"phone": ["138 0013 8000", "not a phone"]}, "phone"),
        ({"email": "li.lei@"}, "email"),
        ({"wechat": "1abcdef"}, "wechat"),
        ({"company_name": "", "contact_name": "  "}, "company_name"),
        ({"company_name": "某" * 201}, "company_name"),
        ({"contact_name": "张" * 101}, "contact_name"),
        ({"region": "x" * 101}, "region"),
        ({"source": "x" * 51}, "source"),
        ({"company_name": 42}, "company_name"),
        ({"phone": 13800138000}, "phone"),
        ({"company_name": "某某\x00科技"}, "company_name"),
        ({"actor": ""}, "actor"),
        ({"occurred_at": "2026-03-01T09:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_registration_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_command(RegisterCustomer, {**GOOD, **fields})
    assert raised.value.field == field
    assert raised.value.reason


def test_identity_values_are_normalised_while_the_command_is_validated() -> None:
    command = parse_command(
        RegisterCustomer,
        {**GOOD, "phone": "138 0013 8000；+86-138-0013-8000", "email": "Li@X.com",
         "uscc": "91110000600037341l", "wechat": "LiLei_1988"},
    )
    assert command.phones == ("+8613800138000",)
    assert command.emails == ("li@x.com",)
    assert command.uscc == "91110000600037341L"
    assert command.wechat == "lilei_1988"
    assert [k.label for k in command.identity_keys()] == [
        "phone:+8613800138000", "email:li@x.com", "uscc:91110000600037341L",
        "wechat:lilei_1988"]


def test_blank_optional_fields_are_absent_and_text_is_tidied() -> None:
    command = parse_command(
        RegisterCustomer,
        {"actor": "rep-1", "contact_name": " 张  三 ", "phone": "", "uscc": " ", "region": ""},
    )
    assert command.contact_name == "张 三"
    assert (command.phones, command.uscc, command.region) == ((), None, None)


def test_the_phone_region_comes_from_the_caller() -> None:
    command = parse_command(RegisterCustomer, {**GOOD, "phone": "2123 4567"}, phone_region="HK")
    assert command.phones == ("+85221234567",)


def test_a_correction_must_change_something() -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_command(CorrectContactDetails, {"actor": "rep-1", "customer_id": str(uuid4())})
    assert raised.value.field == "company_name"


def test_a_key_command_normalises_its_value_by_kind() -> None:
    command = parse_command(
        AddIdentityKey,
        {"actor": "rep-1", "customer_id": str(uuid4()), "kind": "email", "value": " A@B.cn "},
    )
    assert (command.key.kind, command.key.value) == (KeyKind.EMAIL, "a@b.cn")


def test_a_key_command_with_a_bad_kind_names_the_kind() -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_command(
            AddIdentityKey,
            {"actor": "rep-1", "customer_id": str(uuid4()), "kind": "fax", "value": "1"},
        )
    assert raised.value.field == "kind"


def test_a_malformed_customer_id_names_customer_id() -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_command(AddIdentityKey,
                      {"actor": "rep-1", "customer_id": "42", "kind": "email", "value": "a@b.cn"})
    assert raised.value.field == "customer_id"
