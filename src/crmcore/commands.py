"""Commands: what a caller asks crmcore to do, validated before any event exists.

Commands are frozen pydantic models. Identity values are normalised while the
command is validated, so every entry path (CLI, import, library) shares one
normaliser per kind. :func:`parse_command` turns pydantic's errors into
:class:`~crmcore.errors.ValidationFailed` naming the field as the caller spelled it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Self, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crmcore.clock import as_utc
from crmcore.domain.customer_group import GroupRelation
from crmcore.errors import ValidationFailed
from crmcore.identity import (
    IdentityKey,
    KeyKind,
    keys_of_contact,
    normalise_email,
    normalise_external_id,
    normalise_key,
    normalise_phone,
    normalise_uscc,
    normalise_wechat,
)
from crmcore.identity.normalise import DEFAULT_PHONE_REGION

_WHITESPACE_RUN = re.compile(r"\s+")
# Several values in one cell or option, as reps write them: "138...; 139...", "a@x，b@y".
_LIST_SEPARATORS = re.compile(r"[;,；，、\n]")


def _clean_text(value: str) -> str:
    text = _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("contains control characters")
    return text


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _split_list(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return value


def _phone_region(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("phone_region", DEFAULT_PHONE_REGION))


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# Free-text fields: NFC, whitespace folded, no control characters, bounded length;
# a blank value is an absent one (CSV cells and form fields are often blank).
ActorId = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]
Tag = Annotated[
    Annotated[str, Field(max_length=50), AfterValidator(_clean_text)] | None,
    BeforeValidator(_blank_to_none),
]
ShortText = Annotated[
    Annotated[str, Field(max_length=100), AfterValidator(_clean_text)] | None,
    BeforeValidator(_blank_to_none),
]
LongText = Annotated[
    Annotated[str, Field(max_length=200), AfterValidator(_clean_text)] | None,
    BeforeValidator(_blank_to_none),
]
Note = Annotated[
    Annotated[str, Field(max_length=500), AfterValidator(_clean_text)] | None,
    BeforeValidator(_blank_to_none),
]
# Merges and splits change who a customer is: the audit needs to know why, always.
RequiredNote = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_clean_text)]
RawKey = Annotated[Annotated[str, Field(max_length=40)] | None, BeforeValidator(_blank_to_none)]


# A registration as events keep it when it is merged into, or refused as a duplicate of,
# an existing customer; the identity check rebuilds a record's profile from these.
RECORD_FIELDS = (
    "company_name",
    "contact_name",
    "phones",
    "emails",
    "uscc",
    "wechat",
    "region",
    "industry",
    "source",
    "external_id",
)


class Command(BaseModel):
    """Fields every command carries: who asks, when it happened in business time, why."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=True,
        defer_build=True,
    )

    actor: ActorId
    occurred_at: datetime | None = Field(
        default=None, description="Business time; the application's clock when omitted."
    )
    reason: Note = None

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


class RegisterCustomer(Command):
    """Register a new customer; refused if any identity key already belongs to another."""

    company_name: LongText = None
    contact_name: ShortText = None
    phones: Annotated[
        tuple[Annotated[str, Field(max_length=40)], ...],
        BeforeValidator(_split_list),
        Field(alias="phone", max_length=10),
    ] = ()
    emails: Annotated[
        tuple[Annotated[str, Field(max_length=254)], ...],
        BeforeValidator(_split_list),
        Field(alias="email", max_length=10),
    ] = ()
    uscc: RawKey = None
    wechat: RawKey = None
    region: ShortText = None
    industry: ShortText = None
    source: Tag = None
    external_id: ShortText = None

    @field_validator("external_id")
    @classmethod
    def _normalise_external_id(cls, value: str | None) -> str | None:
        return None if value is None else normalise_external_id(value)

    @field_validator("phones")
    @classmethod
    def _normalise_phones(cls, values: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        region = _phone_region(info)
        return _unique([normalise_phone(value, region) for value in values])

    @field_validator("emails")
    @classmethod
    def _normalise_emails(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _unique([normalise_email(value) for value in values])

    @field_validator("uscc")
    @classmethod
    def _normalise_uscc(cls, value: str | None) -> str | None:
        return None if value is None else normalise_uscc(value)

    @field_validator("wechat")
    @classmethod
    def _normalise_wechat(cls, value: str | None) -> str | None:
        return None if value is None else normalise_wechat(value)

    @model_validator(mode="after")
    def _has_a_name(self) -> Self:
        if self.company_name is None and self.contact_name is None:
            raise ValueError("company_name: a company name or a contact name is required")
        return self

    def identity_keys(self) -> tuple[IdentityKey, ...]:
        """The exact keys this customer would hold, in a stable order."""
        return keys_of_contact(self.phones, self.emails, self.uscc, self.wechat, self.external_id)

    def record(self) -> dict[str, Any]:
        """The entered record as events keep it (merged or refused attempts)."""
        return self.model_dump(include=set(RECORD_FIELDS), mode="json")


class CorrectContactDetails(Command):
    """Correct the descriptive details of a customer; omitted fields stay as they are."""

    customer_id: UUID
    company_name: LongText = None
    contact_name: ShortText = None
    region: ShortText = None
    industry: ShortText = None
    source: Tag = None

    def corrections(self) -> dict[str, str]:
        """The fields the caller asked to change, with their new values."""
        names = ("company_name", "contact_name", "region", "industry", "source")
        return {n: v for n in names if (v := getattr(self, n)) is not None}

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.corrections():
            raise ValueError("company_name: give at least one detail to correct")
        return self


class _KeyCommand(Command):
    customer_id: UUID
    kind: KeyKind
    value: Annotated[str, Field(min_length=1, max_length=254)]

    @field_validator("value")
    @classmethod
    def _normalise(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None:  # the kind itself failed validation and is reported
            return value
        return normalise_key(kind, value, _phone_region(info)).value

    @property
    def key(self) -> IdentityKey:
        return IdentityKey(self.kind, self.value)


class AddIdentityKey(_KeyCommand):
    """Give a customer one more identity key; refused if another customer holds it."""


class RemoveIdentityKey(_KeyCommand):
    """Take an identity key from a customer, releasing it for others."""


class MergeCustomers(Command):
    """Merge ``absorbed_id`` into ``survivor_id``; the absorbed one becomes a tombstone."""

    survivor_id: UUID
    absorbed_id: UUID
    reason: RequiredNote

    @model_validator(mode="after")
    def _two_customers(self) -> Self:
        if self.survivor_id == self.absorbed_id:
            raise ValueError("absorbed_id: must differ from survivor_id")
        return self


class SplitCustomer(Command):
    """Undo the merge of ``tombstone_id``: it becomes a customer again with its keys."""

    tombstone_id: UUID
    reason: RequiredNote


class LinkCustomer(Command):
    """Hang ``child_id`` (with everything below it) below ``parent_id`` in a group tree."""

    child_id: UUID
    parent_id: UUID
    relation: GroupRelation

    @model_validator(mode="after")
    def _two_customers(self) -> Self:
        if self.child_id == self.parent_id:
            raise ValueError("parent_id: a customer cannot be its own parent")
        return self


class UnlinkCustomer(Command):
    """Take ``customer_id`` (with everything below it) out of its group."""

    customer_id: UUID


TCommand = TypeVar("TCommand", bound=BaseModel)

# Field names as callers spell them (the CLI option and CSV column is "phone").
_FIELD_ALIASES = {"phones": "phone", "emails": "email", "source_tags": "source_tag"}


def parse_command(
    command_type: type[TCommand], data: dict[str, Any], *, phone_region: str | None = None
) -> TCommand:
    """Validates raw input into a command, or raises ValidationFailed naming the field.

    >>> cmd = parse_command(RegisterCustomer, {"actor": "rep-1", "company_name": "某某科技",
    ...                                         "phone": "138 0013 8000"})
    >>> cmd.phones
    ('+8613800138000',)
    """
    context = {"phone_region": phone_region or DEFAULT_PHONE_REGION}
    try:
        return command_type.model_validate(data, context=context)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from None


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    first = exc.errors(include_url=False)[0]
    location = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not location and ":" in message:  # model-level rule that names its field
        field, _, message = message.partition(":")
        return ValidationFailed(field.strip(), message.strip())
    field = _FIELD_ALIASES.get(location[0], location[0]) if location else "command"
    if len(location) > 1 and location[1].isdigit():
        message = f"item {int(location[1]) + 1}: {message}"
    return ValidationFailed(field, message)
