"""One normaliser per kind of exact identity key, used by every entry path.

Each normaliser is idempotent (normalising a normalised value changes nothing) and
raises :class:`InvalidIdentityValue` - a ``ValueError``, so pydantic turns it into a
validation error naming the field - rather than guessing at bad input.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

from crmcore.identity.keys import IdentityKey, KeyKind

DEFAULT_PHONE_REGION = "CN"

# Reps write extensions the Chinese way ("转 801", "分机801"); phonenumbers knows "ext".
_EXTENSION_WORDS = re.compile(r"\s*(?:转|分机|內線|内线)\s*")
# Current WeChat ids: 6-20 of letters, digits, "_" and "-", starting with a letter,
# letters case-insensitive. Old accounts may still carry a QQ-number id (5-11 digits).
_WECHAT_ID = re.compile(r"[a-z][a-z0-9_-]{5,19}")
_LEGACY_QQ_WECHAT_ID = re.compile(r"[1-9][0-9]{4,10}")
_WHITESPACE_RUN = re.compile(r"\s+")


class InvalidIdentityValue(ValueError):
    """A raw value that cannot be normalised into an identity key."""


def _fold(raw: str) -> str:
    # NFKC folds full-width digits and letters (１３８, ＡＢＣ) into ASCII.
    return unicodedata.normalize("NFKC", raw).strip()


def normalise_phone(raw: str, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """Returns the E.164 form of a phone number, reading it as dialled from ``default_region``.

    An extension is kept as ``;ext=N`` (RFC 3966): two extensions of one switchboard
    reach two different people, so they must not collide as one key.

    >>> normalise_phone("86 138-0013-8000")
    '+8613800138000'
    >>> normalise_phone("(010) 6552 1234 转 801")
    '+861065521234;ext=801'
    """
    text = _EXTENSION_WORDS.sub(" ext ", _fold(raw))
    if not text:
        raise InvalidIdentityValue("a phone number is empty")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentityValue(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentityValue(f"{raw!r} is not a valid phone number")
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return f"{e164};ext={number.extension}" if number.extension else e164


def normalise_email(raw: str) -> str:
    """Returns the trimmed, case-folded form of a syntactically valid e-mail address.

    The local part is folded too: no mail system in our market treats ``Li.Lei@`` and
    ``li.lei@`` as different people, and reps type both.

    >>> normalise_email("  Li.Lei@Example.COM ")
    'li.lei@example.com'
    """
    # Imported here: email_validator compiles its RFC patterns at import (~45 ms), which
    # every `crm` command parsing a command model would pay, e-mail or not.
    from email_validator import EmailNotValidError, validate_email

    text = _fold(raw)
    if not text:
        raise InvalidIdentityValue("an e-mail address is empty")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentityValue(f"{raw!r} is not a valid e-mail address: {exc}") from None
    return str(checked.normalized).lower()


def normalise_uscc(raw: str) -> str:
    """Returns a checksum-validated unified social credit code (统一社会信用代码).

    >>> normalise_uscc("9111 0000 6000 3734 1l")
    '91110000600037341L'
    """
    text = _fold(raw).upper()
    try:
        return str(stdnum_uscc.validate(text))
    except StdnumValidationError as exc:
        raise InvalidIdentityValue(f"{raw!r} is not a valid USCC: {exc}") from None


def normalise_wechat(raw: str) -> str:
    """Returns a WeChat id in the lower case WeChat itself compares it in.

    >>> normalise_wechat(" LiLei_1988 ")
    'lilei_1988'
    """
    text = _fold(raw).lower()
    if _WECHAT_ID.fullmatch(text) or _LEGACY_QQ_WECHAT_ID.fullmatch(text):
        return text
    raise InvalidIdentityValue(
        f"{raw!r} is not a WeChat id (6-20 letters, digits, '_' or '-', starting with a letter)"
    )


def normalise_external_id(raw: str) -> str:
    """Returns a source system's id as that system wrote it, width-folded and trimmed.

    Case is kept: some systems tell ``a1`` from ``A1``. Device fingerprints and session
    ids are opaque tokens of the same shape and share this normaliser.

    >>> normalise_external_id(" ＣＲＭ-００４２ ")
    'CRM-0042'
    """
    text = _WHITESPACE_RUN.sub(" ", _fold(raw))
    if not text or len(text) > 100 or any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidIdentityValue(f"{raw!r} is not an external id (1-100 printable characters)")
    return text


def normalise_key(
    kind: KeyKind | str, raw: str, default_region: str = DEFAULT_PHONE_REGION
) -> IdentityKey:
    """Normalises ``raw`` as an identity key of ``kind``."""
    try:
        key_kind = KeyKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in KeyKind)
        raise InvalidIdentityValue(f"{kind!r} is not a key kind ({kinds})") from None
    if key_kind is KeyKind.PHONE:
        return IdentityKey(key_kind, normalise_phone(raw, default_region))
    if key_kind is KeyKind.EMAIL:
        return IdentityKey(key_kind, normalise_email(raw))
    if key_kind is KeyKind.USCC:
        return IdentityKey(key_kind, normalise_uscc(raw))
    if key_kind in (KeyKind.EXTERNAL_ID, KeyKind.DEVICE, KeyKind.SESSION):
        return IdentityKey(key_kind, normalise_external_id(raw))
    return IdentityKey(key_kind, normalise_wechat(raw))
