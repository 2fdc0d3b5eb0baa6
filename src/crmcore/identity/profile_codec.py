"""A match profile as stored text: what the persisted candidate index keeps per entry.

Building a profile is the dear part of a check (opencc, pypinyin, phone parsing); the
persisted index stores each customer's profile once, at filing time, so a check reads
its candidates' profiles instead of rebuilding them. JSON arrays, not pickle: the
stored form is plain data anyone can inspect, and decoding it cannot run code.

The layout is positional and versioned by the identity view's ``layout`` number
(:mod:`projections.identity_index`): change a field here, bump that number, and the
view is rebuilt from the log.

When the store protects personal data, the personal half of a profile (the contact,
the personal keys, the phones' and e-mails' parts) is stored as one sealed value in a
seventh position, and the six positions keep only what is not personal (the company,
the region, a credit code): ``seal`` and ``open_`` are the subject's, handed in by the
view, so this module stays free of keys and ciphers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from crmcore.identity.company import CompanyName
from crmcore.identity.keys import IdentityKey
from crmcore.identity.person import PersonName
from crmcore.identity.profile import EmailParts, MatchProfile
from crmcore.personal_data import ERASED, PERSONAL_KINDS

Transform = Callable[[str], str]
"""Seals (or opens) one stored text under the profile's subject's data key."""

COMPANY_LAYOUT = ("raw", "core", "syllables", "region", "legal_form", "branch", "trade")
"""The stored company's positions (``CompanyName``'s fields, in order)."""
CONTACT_LAYOUT = ("raw", "script", "surname", "given", "syllables", "codes")
"""The stored contact's positions (``PersonName``'s fields, in order)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_profile(profile: MatchProfile, seal: Transform | None = None) -> str:
    """The profile as compact JSON (round-trips through :func:`decode_profile`); with
    ``seal``, its personal half sealed in a seventh position."""
    company = profile.company
    contact = profile.contact
    stored_company = None if company is None else [getattr(company, n) for n in COMPANY_LAYOUT]
    stored_contact = None if contact is None else [getattr(contact, n) for n in CONTACT_LAYOUT]
    labels = [key.label for key in profile.keys]
    emails = [[email.local, email.domain] for email in profile.emails]
    if seal is None:
        phones = profile.national_phones
        return _dumps([stored_company, stored_contact, labels, phones, emails, profile.region])
    public = [label for label in labels if label.partition(":")[0] not in PERSONAL_KINDS]
    personal = [label for label in labels if label.partition(":")[0] in PERSONAL_KINDS]
    parts: list[Any] = [stored_company, None, public, [], [], profile.region]
    if stored_contact is not None or personal or profile.national_phones or emails:
        parts.append(seal(_dumps([stored_contact, personal, profile.national_phones, emails])))
    return _dumps(parts)


class StoredParts(NamedTuple):
    """A stored profile's parts as plain JSON values, in stored order: the layout a
    whole-book scan reads (a million profiles) without building the objects a check
    compares."""

    company: list[Any] | None  # COMPANY_LAYOUT
    contact: list[Any] | None  # CONTACT_LAYOUT
    keys: list[str]  # labels
    phones: list[str]  # national numbers, "country:digits"
    emails: list[list[str]]  # [local, domain]
    region: str | None


def decode_parts(text: str, open_: Transform | None = None) -> StoredParts:
    """The parts of a profile :func:`encode_profile` stored; a sealed personal half is
    opened with ``open_`` (without one, or once erased, the profile has none)."""
    values, sealed = split_sealed(text)
    if sealed is None:
        return StoredParts(*values)
    return with_half(values, ERASED if open_ is None else open_(sealed))


def split_sealed(text: str) -> tuple[list[Any], str | None]:
    """A stored profile's six public positions and its sealed personal half (None when
    it has none): a reader opening many profiles opens their halves together."""
    values = json.loads(text)
    return (values, values.pop()) if len(values) == 7 else (values, None)


def with_half(values: list[Any], clear: str) -> StoredParts:
    """The parts of :func:`split_sealed`'s public positions with the personal half
    opened (``clear``; ERASED once erased: the profile has none)."""
    if clear != ERASED:
        contact, personal, phones, emails = json.loads(clear)
        values[1], values[3], values[4] = contact, phones, emails
        values[2] = sorted(values[2] + personal)  # labels sort as their keys do
    return StoredParts(*values)


def sealed_half(text: str) -> str | None:
    """The sealed personal half of a stored profile, if it has one."""
    values = json.loads(text)
    return values[6] if len(values) == 7 else None


def clear_text(text: str, open_: Transform) -> str:
    """A stored profile in the plain layout, its personal half opened: what a whole-book
    scan's engine parses (in memory, never written back)."""
    return _dumps(list(decode_parts(text, open_)))


def decode_profile(text: str, open_: Transform | None = None) -> MatchProfile:
    """The profile :func:`encode_profile` stored (``open_``: as for :func:`decode_parts`)."""
    return profile_of(decode_parts(text, open_))


def profile_of(parts: StoredParts) -> MatchProfile:
    """The match profile of stored parts."""
    company, contact, keys, phones, emails, region = parts
    return MatchProfile(
        company=_company(company),
        contact=_contact(contact),
        keys=tuple(IdentityKey.from_label(label) for label in keys),
        national_phones=tuple(phones),
        emails=tuple(EmailParts(local, domain) for local, domain in emails),
        region=region,
    )


def _company(parts: list[Any] | None) -> CompanyName | None:
    if parts is None:
        return None
    raw, core, syllables, region, legal_form, branch, trade = parts
    return CompanyName(raw, core, tuple(syllables), region, legal_form, branch, trade)


def _contact(parts: list[Any] | None) -> PersonName | None:
    if parts is None:
        return None
    raw, script, surname, given, syllables, codes = parts
    return PersonName(raw, script, surname, given, tuple(syllables), tuple(codes))
