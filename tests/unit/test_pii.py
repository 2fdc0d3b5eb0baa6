"""What personal data leaves the store, per field, wherever the field appears."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.relay.pii import REDACTED, PiiAction, PiiPolicy
from adapters.settings import load_settings
from crmcore.errors import ValidationFailed

MASK, HASH, KEEP = PiiAction.MASK, PiiAction.HASH, PiiAction.KEEP


def test_a_phone_rule_covers_phone_fields_keys_and_labels() -> None:
    data: dict[str, Any] = {
        "phones": ["+8613812345678"],
        "kind": "phone",
        "value": "+8613812345678",
        "keys": ["phone:+8613812345678", "email:a@b.cn"],
        "record": {"phones": ["+8613900000000"], "company_name": "某某公司"},
    }

    PiiPolicy({"phones": MASK}).apply(data)

    assert data == {
        "phones": ["+86138****5678"],
        "kind": "phone",
        "value": "+86138****5678",
        "keys": ["phone:+86138****5678", "email:a@b.cn"],
        "record": {"phones": ["+86139****0000"], "company_name": "某某公司"},
    }


def test_a_key_of_another_kind_is_left_to_its_own_rule() -> None:
    data = {"kind": "uscc", "value": "91110105BWJLWDCP1B"}
    assert PiiPolicy({"phones": MASK}).apply(dict(data)) == data


def test_named_fields_are_governed_at_any_depth() -> None:
    data = {"changes": {"contact_name": "李雷"}, "previous": {"contact_name": "韩梅梅"}}

    PiiPolicy({"contact_name": PiiAction.REDACT}).apply(data)

    assert data == {"changes": {"contact_name": REDACTED}, "previous": {"contact_name": REDACTED}}


def test_hashing_is_keyed_and_stable_so_consumers_can_join_without_reading() -> None:
    one = PiiPolicy({"emails": HASH}, b"k1").apply({"emails": ["li@acme.cn"]})
    again = PiiPolicy({"emails": HASH}, b"k1").apply({"emails": ["li@acme.cn"]})
    other_key = PiiPolicy({"emails": HASH}, b"k2").apply({"emails": ["li@acme.cn"]})

    assert one == again != other_key
    assert one["emails"][0].startswith("hmac-sha256:")
    assert "li@" not in one["emails"][0]


def test_hashing_without_a_key_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_settings(environ={"CRM_RELAY__PII__EMAILS": "hash"})
    assert refused.value.field == "relay"
    assert "pii_hash_key" in str(refused.value)


def test_a_deployment_rule_is_merged_over_the_defaults() -> None:
    settings = load_settings(environ={"CRM_RELAY__PII__PHONES": "keep"})

    assert settings.relay.pii["phones"] == KEEP
    assert settings.relay.pii["emails"] == MASK


def test_an_unknown_action_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_settings(environ={"CRM_RELAY__PII__PHONES": "scramble"})
    assert refused.value.field == "relay.pii.phones"


def test_keep_everything_changes_nothing() -> None:
    data = {"phones": ["+8613812345678"], "contact_name": "张伟"}
    assert PiiPolicy({"phones": KEEP}).apply(dict(data)) == data
