"""The rules crmcore runs by, in one pydantic model with a default and a reason per field.

The model is pure data: ``adapters.settings`` loads it from ``crm.toml`` and ``CRM_*``
environment variables, and ``crm config show`` prints it. Sections are added as the
rules they hold are built (identity matching thresholds, ownership and pool numbers).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import phonenumbers
from pydantic import Field, field_validator

from crmcore.audit.config import AuditConfig
from crmcore.config_section import Section, rule_digest
from crmcore.identity.blocking import TYPO_BLOCK_SIZE
from crmcore.identity.features import FEATURES, ComparisonWeights
from crmcore.leads.config import LeadConfig
from crmcore.opportunities.config import OpportunityConfig
from crmcore.orders.config import OrderConfig
from crmcore.ownership.config import OwnershipConfig


class EntryPath(StrEnum):
    """Ways a customer record enters; each has its own dedup mode."""

    REGISTER = "register"
    IMPORT = "import"
    LEAD_CAPTURE = "lead_capture"
    CONVERSION = "conversion"
    CLAIM = "claim"
    ASSIGNMENT = "assignment"


class DedupMode(StrEnum):
    """What a "block" rule does on an entry path: refuse, create and flag, or attach."""

    BLOCK = "block"
    WARN = "warn"
    MERGE = "merge"


class MatchRule(Section):
    """A named rule: when every feature reaches its minimum, the pair is a duplicate.

    Rules are tried in order and the first that holds decides (like splink's levels).
    ``block`` rules are the ones an entry path's mode applies to; ``warn`` rules always
    create the customer and record the candidates.
    """

    name: str = Field(min_length=1, max_length=60)
    action: Literal["block", "warn"]
    when: dict[str, float] = Field(min_length=1)
    unless: dict[str, float] = Field(
        default_factory=dict,
        description="Vetoes: the rule does not hold when any of these features reaches "
        "its value (evidence that contradicts the match, e.g. region_conflict).",
    )
    description: str = ""

    @field_validator("when", "unless")
    @classmethod
    def _known_features(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown features {unknown}; known: {', '.join(FEATURES)}")
        if any(not 0.0 <= minimum <= 1.0 for minimum in value.values()):
            raise ValueError("feature minimums are between 0 and 1")
        return value


DEFAULT_RULES: tuple[MatchRule, ...] = (
    MatchRule(
        name="exact_key",
        action="block",
        when={"exact_key": 1.0},
        description="a phone, e-mail, USCC, WeChat id or external id is already held",
    ),
    MatchRule(
        name="same_company",
        action="block",
        when={"company": 0.95},
        unless={"region_conflict": 1.0, "trade_conflict": 1.0},
        description="same company name once script, width, region and legal form are set "
        "aside, and no region or 行业 word that says otherwise",
    ),
    MatchRule(
        name="likely_same_company",
        action="warn",
        when={"company": 0.88},
        description="homophone, or the same name as a branch (or in a region that "
        "contradicts it, when region_conflict_factor lets it reach 0.88)",
    ),
    MatchRule(
        name="similar_company_same_contact",
        action="warn",
        when={"company": 0.75, "contact": 0.9},
        description="a typo in the company name, same contact person",
    ),
    MatchRule(
        name="brand_typo_same_contact_same_region",
        action="warn",
        when={"company": 0.6, "contact": 1.0, "same_region": 1.0},
        description="one character of a short brand differs; same contact, same city",
    ),
    MatchRule(
        name="brand_typo_same_contact_region_unsaid",
        action="warn",
        when={"company": 0.6, "contact": 1.0},
        unless={"region_conflict": 1.0, "trade_conflict": 1.0},
        description="one character of a short brand differs; same contact, and one of the "
        "two says no city (a hurried re-entry leaves it out) nor another 行业 word",
    ),
    MatchRule(
        name="similar_company_same_surname",
        action="warn",
        when={"company": 0.85, "contact_surname": 1.0},
        unless={"region_conflict": 1.0},
        description="similar company, contact with the same surname; a surname (王, 李 "
        "are one in seven people) is too weak to stand against two regions",
    ),
    MatchRule(
        name="near_phone_same_contact",
        action="warn",
        when={"phone_near": 1.0, "contact": 0.9},
        description="a phone one digit off, same contact person",
    ),
    MatchRule(
        name="near_phone_similar_company",
        action="warn",
        when={"phone_near": 1.0, "company": 0.7},
        description="a phone one digit off, similar company",
    ),
    MatchRule(
        name="sibling_email",
        action="warn",
        when={"email_sibling": 1.0},
        description="same personal mailbox at a sibling domain (acme.com / acme.cn)",
    ),
)


class IdentityConfig(Section):
    """How raw contact data becomes identity keys, and when two records are one customer."""

    default_phone_region: str = Field(
        default="CN",
        description=(
            "ISO 3166 region a phone number without a country code is read in. CN because "
            "reps type mainland numbers bare (138 0013 8000, 010-6552 1234)."
        ),
    )

    modes: dict[EntryPath, DedupMode] = Field(
        default_factory=lambda: {
            EntryPath.REGISTER: DedupMode.BLOCK,
            EntryPath.IMPORT: DedupMode.BLOCK,
            EntryPath.LEAD_CAPTURE: DedupMode.MERGE,
            EntryPath.CONVERSION: DedupMode.BLOCK,
            EntryPath.CLAIM: DedupMode.BLOCK,
            EntryPath.ASSIGNMENT: DedupMode.BLOCK,
        },
        description=(
            "What a block rule does per entry path. Block by default: a refused duplicate "
            "costs a rep one message, a created one costs a collision. Leads merge, "
            "because a second enquiry from a known customer is news, not a new customer."
        ),
    )
    rules: tuple[MatchRule, ...] = Field(
        default=DEFAULT_RULES,
        min_length=1,
        description="Ordered match rules; the first that holds decides a pair.",
    )
    homophone_score: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description=(
            "Company similarity of two names that sound the same (同音) but differ in "
            "writing. Below the block threshold: a homophone alone is a reason to look, "
            "not proof (华信 and 华新 may be two companies)."
        ),
    )
    region_conflict_factor: float = Field(
        default=0.85,
        ge=0,
        le=1,
        description=(
            "Multiplies the company similarity when the two records' regions (written in "
            "the name, else the region field) conflict - neither contains the other: "
            "北京某某科技 and 上海某某科技 are often two companies. The block rule also vetoes "
            "region_conflict, so this only ranks; it cannot turn a conflict into a block."
        ),
    )
    branch_factor: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Multiplies the company similarity when one name is a branch (分公司) "
        "and the other is not: a branch is a customer of its own in the same group.",
    )
    candidate_floor: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description=(
            "Pairs scoring below this are not listed in a decision's explanation: they "
            "shared a blocking key but nothing else."
        ),
    )
    max_block_size: int = Field(
        default=300,
        ge=10,
        le=100_000,
        description=(
            "A blocking key shared by more customers than this is skipped at look-up "
            "(like a stop word): it says nothing and would cost a long scan. Exact keys "
            "are never skipped."
        ),
    )
    typo_block_size: int = Field(
        default=TYPO_BLOCK_SIZE,
        ge=1,
        le=100_000,
        description=(
            "A typo sound (a company name's sound with one syllable left out) shared by "
            "more customers than this in a record's provinces is looked up through the "
            "block of the sound and the contact's surname instead, so a check's "
            "candidates do not grow with the book (docs/identity.md). Taken as at most "
            "max_block_size."
        ),
    )

    generic_key_after: int = Field(
        default=5,
        ge=2,
        le=10_000,
        description=(
            "A phone or e-mail that this many unrelated companies have entered (its holder "
            "plus refused records whose company does not resemble the holder's) is declared "
            "generic and stops acting as an identity key. Five, because one company is "
            "rarely entered under five unrelated names, while a switchboard serves dozens."
        ),
    )
    unrelated_company_below: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "Company similarity under which a record sharing a phone or e-mail with a "
            "customer counts as another company on that key (toward generic_key_after). "
            "Low, so that a retyped or abbreviated name never counts."
        ),
    )

    group_brand_chars: int = Field(
        default=2,
        ge=0,
        le=10,
        description=(
            "Leading characters of a Chinese name core (region and legal form stripped) "
            "that make its brand (字号). A new customer sharing the brand of a group "
            "member another rep owns is warned as a cross-group collision: 华为终端 and "
            "华为技术 are one group, yet their names score too low to be candidates. Two, "
            "because most brands are two characters; 0 turns brand matching off."
        ),
    )

    @property
    def weights(self) -> ComparisonWeights:
        return ComparisonWeights(
            homophone=self.homophone_score,
            region_conflict_factor=self.region_conflict_factor,
            branch_factor=self.branch_factor,
        )

    @property
    def rule_set_version(self) -> str:
        """A digest of everything that decides a match; each decision records it."""
        decisive = self.model_dump_json(exclude={"default_phone_region"})
        return rule_digest(decisive)

    def mode_for(self, path: EntryPath) -> DedupMode:
        return self.modes.get(path, DedupMode.BLOCK)

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows")
        return region


class RegistrationConfig(Section):
    """How registrations are written to the event store."""

    batch_size: int = Field(
        default=500,
        ge=1,
        le=5_000,
        description=(
            "Customers registered per atomic save by bulk paths (demo, import). One save "
            "is one fsync (~1 ms on SQLite) and one catch-up, so batching is what makes "
            "bulk entry fast (an import of 20,000 rows: 848 rows/s at 100, 1,083 at 500, "
            "no faster above); each command is still checked and reported on its own."
        ),
    )
    max_save_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description=(
            "Times a command is re-decided after losing an optimistic-concurrency race "
            "before ConcurrencyConflict is raised. A lost race on an identity key is "
            "decided as a duplicate on the second attempt, so a few suffice."
        ),
    )


class CrmConfig(Section):
    """Every rule crmcore applies. Defaults are the documented production defaults."""

    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    registration: RegistrationConfig = Field(default_factory=RegistrationConfig)
    ownership: OwnershipConfig = Field(default_factory=OwnershipConfig)
    leads: LeadConfig = Field(default_factory=LeadConfig)
    opportunities: OpportunityConfig = Field(default_factory=OpportunityConfig)
    orders: OrderConfig = Field(default_factory=OrderConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
