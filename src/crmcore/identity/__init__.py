"""Identity resolution: turning what a rep typed into keys that say "same customer".

Exact keys (phone, e-mail, USCC, WeChat id, external id) have one normaliser each
(``normalise``). The fuzzy pipeline is one module per stage: ``profile`` (normalise a
record, with ``company`` and ``person`` names), ``blocking``, ``candidates``,
``compare``, ``score`` and ``decide``. docs/identity.md walks through them.
"""

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
