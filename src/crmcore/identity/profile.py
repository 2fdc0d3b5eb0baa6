"""Stage 1, normalise: a record's matchable form, built once and compared many times.

Every entry path builds a :class:`MatchProfile` from already-validated fields (exact
keys are normalised by the command); this stage adds the parsed company and person
names and the phone and e-mail parts that near-miss matching looks at.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import phonenumbers

from crmcore.identity.company import CompanyName, parse_company_name
from crmcore.identity.keys import IdentityKey
from crmcore.identity.person import PersonName, parse_person_name
from crmcore.identity.regions import region_table
from crmcore.personal_data import ERASED

# Labels under a country's domain that are not the registrable name: acme.com.cn is acme.
SECOND_LEVEL_LABELS = frozenset(["com", "net", "org", "gov", "edu", "co", "ac"])
# Mailbox names that say nothing about a person: info@a.com and info@a.cn are not one.
ROLE_MAILBOXES = frozenset(
    [
        "info",
        "sales",
        "admin",
        "contact",
        "service",
        "support",
        "hr",
        "office",
        "marketing",
        "hello",
        "mail",
        "webmaster",
        "noreply",
        "no-reply",
        "kefu",
        "help",
        "enquiry",
        "enquiries",
        "inquiry",
        "business",
        "bd",
    ]
)


@dataclass(frozen=True, slots=True)
class EmailParts:
    local: str
    domain: str

    @property
    def is_role_mailbox(self) -> bool:
        return self.local in ROLE_MAILBOXES

    @property
    def domain_label(self) -> str:
        """The registrable label: ``acme`` for acme.com, acme.com.cn and mail.acme.cn."""
        labels = self.domain.split(".")
        if len(labels) >= 3 and labels[-2] in SECOND_LEVEL_LABELS:
            return labels[-3]
        return labels[-2] if len(labels) >= 2 else labels[0]


@dataclass(frozen=True, slots=True)
class MatchProfile:
    """What the matcher knows of one record: names parsed, keys exact, phones as digits."""

    company: CompanyName | None
    contact: PersonName | None
    keys: tuple[IdentityKey, ...]  # sorted; a tuple is a third of a frozenset's memory
    national_phones: tuple[str, ...] = ()
    emails: tuple[EmailParts, ...] = ()
    region: str | None = field(default=None)

    @property
    def key_labels(self) -> frozenset[str]:
        return frozenset(key.label for key in self.keys)

    def revised(
        self,
        details: Mapping[str, str | None] | None = None,
        keys: Iterable[IdentityKey] | None = None,
    ) -> MatchProfile:
        """This profile rebuilt with the named details (None empties one) or other keys.

        The read model keeps profiles, not records: a correction, a merge or a key that
        became generic is applied by rebuilding from the raw names kept here.
        """
        changes = details or {}
        return build_profile(
            company_name=changes.get("company_name", self.company.raw if self.company else None),
            contact_name=changes.get("contact_name", self.contact.raw if self.contact else None),
            keys=self.keys if keys is None else keys,
            region=changes.get("region", self.region),
        )

    def holds_any(self, keys: Collection[IdentityKey]) -> bool:
        """Whether the profile carries any of ``keys``."""
        return bool(keys) and any(key in keys for key in self.keys)

    def without(self, keys: Collection[IdentityKey]) -> MatchProfile:
        """The profile a check looks up with when ``keys`` identify nobody (generic
        keys): rebuilt without them, or itself when it carries none."""
        if not self.holds_any(keys):
            return self
        return self.revised(keys=[key for key in self.keys if key not in keys])

    def shared_keys(self, other: MatchProfile) -> set[IdentityKey]:
        """The exact keys both records carry."""
        if not self.keys or not other.keys:
            return set()
        return set(self.keys).intersection(other.keys)


def _national_number(e164: str) -> str | None:
    number = e164.split(";", 1)[0]
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return f"{parsed.country_code}:{parsed.national_number}"


def _known_region(region: str | None) -> str | None:
    """A region field counts only when it names a region (北京, not 华东 or "north")."""
    return region_table().canonical(region.strip()) if region else None


def build_profile(
    *,
    company_name: str | None,
    contact_name: str | None,
    keys: Iterable[IdentityKey],
    region: str | None = None,
) -> MatchProfile:
    """The profile of a record whose identity keys are already normalised.

    An erased value (``crmcore.personal_data.ERASED``: the event was read after its
    customer's data key was destroyed) is no contact and no key: it matches nothing.
    """
    keys = tuple(sorted({key for key in keys if key.value != ERASED}))
    if contact_name == ERASED:
        contact_name = None
    phones = sorted(k.value for k in keys if k.kind == "phone")
    emails = sorted(k.value for k in keys if k.kind == "email")
    company = parse_company_name(company_name) if company_name else None
    if company is not None and not company.core:
        company = None
    return MatchProfile(
        company=company,
        contact=parse_person_name(contact_name) if contact_name else None,
        keys=keys,
        national_phones=tuple(n for p in phones if (n := _national_number(p)) is not None),
        emails=tuple(EmailParts(*e.rsplit("@", 1)) for e in emails),
        region=(company.region if company else None) or _known_region(region),
    )
