"""Identity resolution: turning what a rep typed into keys that say "same customer".

Exact keys (phone, e-mail, USCC, WeChat id, external id) have one normaliser each
(``normalise``). The fuzzy pipeline is one module per stage: ``profile`` (normalise a
record, with ``company`` and ``person`` names), ``blocking``, ``candidates``,
``compare``, ``score`` and ``decide``. docs/identity.md walks through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.lazy import lazy_exports

if TYPE_CHECKING:
    from crmcore.identity.keys import IdentityKey, KeyKind, keys_of_contact
    from crmcore.identity.normalise import (
        InvalidIdentityValue,
        normalise_email,
        normalise_external_id,
        normalise_key,
        normalise_phone,
        normalise_uscc,
        normalise_wechat,
    )

_KEYS = "crmcore.identity.keys"
_NORMALISE = "crmcore.identity.normalise"
_HOME = {
    "IdentityKey": _KEYS,
    "KeyKind": _KEYS,
    "keys_of_contact": _KEYS,
    "InvalidIdentityValue": _NORMALISE,
    "normalise_email": _NORMALISE,
    "normalise_external_id": _NORMALISE,
    "normalise_key": _NORMALISE,
    "normalise_phone": _NORMALISE,
    "normalise_uscc": _NORMALISE,
    "normalise_wechat": _NORMALISE,
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _HOME)

__all__ = [
    "IdentityKey",
    "InvalidIdentityValue",
    "KeyKind",
    "keys_of_contact",
    "normalise_email",
    "normalise_external_id",
    "normalise_key",
    "normalise_phone",
    "normalise_uscc",
    "normalise_wechat",
]
