"""A match profile as stored text: what the persisted candidate index keeps per entry.

Building a profile is the dear part of a check (opencc, pypinyin, phone parsing); the
persisted index stores each customer's profile once, at filing time, so a check reads
its candidates' profiles instead of rebuilding them. JSON arrays, not pickle: the
stored form is plain data anyone can inspect, and decoding it cannot run code.

The layout is positional and versioned by the identity view's ``layout`` number
(:mod:`projections.identity_index`): change a field here, bump that number, and the
view is rebuilt from the log.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from crmcore.identity.company import CompanyName
from crmcore.identity.keys import IdentityKey
from crmcore.identity.person import PersonName
from crmcore.identity.profile import EmailParts, MatchProfile

COMPANY_LAYOUT = ("raw", "core", "syllables", "region", "legal_form", "branch", "trade")
"""The stored company's positions (``CompanyName``'s fields, in order)."""
CONTACT_LAYOUT = ("raw", "script", "surname", "given", "syllables", "codes")
"""The stored contact's positions (``PersonName``'s fields, in order)."""


def encode_profile(profile: MatchProfile) -> str:
    """The profile as compact JSON (round-trips through :func:`decode_profile`)."""
    company = profile.company
    contact = profile.contact
    return json.dumps(
        [
            None if company is None else [getattr(company, name) for name in COMPANY_LAYOUT],
            None if contact is None else [getattr(contact, name) for name in CONTACT_LAYOUT],
            [key.label for key in profile.keys],
            profile.national_phones,
            [[email.local, email.domain] for email in profile.emails],
            profile.region,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


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


def decode_parts(text: str) -> StoredParts:
    """The parts of a profile :func:`encode_profile` stored."""
    return StoredParts(*json.loads(text))


def decode_profile(text: str) -> MatchProfile:
    """The profile :func:`encode_profile` stored."""
    company, contact, keys, phones, emails, region = decode_parts(text)
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
