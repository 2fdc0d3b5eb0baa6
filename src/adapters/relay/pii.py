"""What personal data leaves the store: one action per field name, applied at any depth.

A rule for ``phones`` covers every phone wherever it appears in an event: the
``phones`` of a registration, a ``{"kind": "phone", "value": …}`` identity key, and a
``"phone:+86…"`` key label in a merge. Other fields (``contact_name``, ``content``,
``record``) are matched by name. Every action keeps the field's JSON type, so a
masked event still validates against its published schema.

>>> policy = PiiPolicy({"phones": PiiAction.MASK, "contact_name": PiiAction.MASK})
>>> policy.apply(
...     {"phones": ["+8613812345678"], "contact_name": "张伟", "keys": ["phone:+8613812345678"]}
... )
{'phones': ['+86138****5678'], 'contact_name': '张*', 'keys': ['phone:+86138****5678']}
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from crmcore.errors import ValidationFailed
from crmcore.personal_data import PERSONAL_FIELDS, PersonalValues


class PiiAction(StrEnum):
    """``keep`` as stored; ``mask`` hide the middle; ``hash`` a keyed HMAC (joinable,
    not reversible without the key); ``redact`` the constant ``[redacted]``."""

    KEEP = "keep"
    MASK = "mask"
    HASH = "hash"
    REDACT = "redact"


DEFAULT_PII_RULES: dict[str, PiiAction] = dict.fromkeys(PERSONAL_FIELDS, PiiAction.MASK)
"""Personal data is masked unless a deployment says otherwise (PIPL's minimum necessary)."""

REDACTED = "[redacted]"


class PiiPolicy:
    """Applies per-field actions to an event's data, in place."""

    def __init__(self, rules: Mapping[str, PiiAction], hash_key: bytes | None = None) -> None:
        self._rules = {name: action for name, action in rules.items() if action != PiiAction.KEEP}
        if PiiAction.HASH in self._rules.values() and not hash_key:
            raise ValidationFailed(
                "relay.pii_hash_key", "a secret key is needed when a field's action is hash"
            )
        self._hash_key = hash_key or b""
        # Where personal data sits is crmcore's one answer, shared with encryption at rest.
        self._walk = PersonalValues(self._rules, self._replace)

    @property
    def keeps_everything(self) -> bool:
        return not self._rules

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with every governed value replaced (the same dict, changed)."""
        if self._rules:
            replaced = self._walk.apply(data)
            data.clear()
            data.update(replaced)
        return data

    def _replace(self, field: str, value: str) -> str:
        action = self._rules[field]
        if action == PiiAction.REDACT:
            return REDACTED
        if action == PiiAction.HASH:
            digest = hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
            return f"hmac-sha256:{digest[:32]}"
        return mask(field, value)


def mask(field: str, value: str) -> str:
    """Hides the middle of a value, keeping what a person needs to recognise it.

    >>> mask("phones", "+8613812345678"), mask("emails", "li.lei@acme.cn")
    ('+86138****5678', 'l***@acme.cn')
    >>> mask("wechat", "wx_lilei")
    'w*******'

    """
    if not value:
        return value
    if field == "phones" and len(value) > 7:
        head = max(len(value) - 8, 0)
        return value[:head] + "*" * (len(value) - head - 4) + value[-4:]
    if field == "emails" and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return value[0] + "*" * (len(value) - 1)
