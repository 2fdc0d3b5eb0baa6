"""Identity resolution: turning what a rep typed into keys that say "same customer".

This foundation holds the exact keys (phone, e-mail, USCC, WeChat id) and their
normalisers; the fuzzy pipeline (blocking, comparison, scoring, decision) joins here.
"""

from crmcore.identity.keys import IdentityKey, KeyKind, keys_of_contact
from crmcore.identity.normalise import (
    InvalidIdentityValue,
    normalise_email,
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
    "normalise_key",
    "normalise_phone",
    "normalise_uscc",
    "normalise_wechat",
]
