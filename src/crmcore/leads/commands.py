"""The lead commands: capture one buyer's arrival from a channel.

A capture is a registration record (the same fields, validated and normalised by the
same code as ``RegisterCustomer``, so a phone typed into a web form and into the
customer screen become one key) plus where and how the buyer arrived.
"""

from __future__ import annotations

from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BeforeValidator, Field, field_validator, model_validator

from crmcore.commands import Command, RegisterCustomer, ShortText, Tag, _split_list
from crmcore.identity import IdentityKey, KeyKind, normalise_external_id
from crmcore.leads.config import LeadChannel

_Tags = Annotated[tuple[Tag, ...], BeforeValidator(_split_list), Field(max_length=10)]


class CaptureLead(RegisterCustomer):
    """Capture a lead from a channel; joins the lead or customer it turns out to be."""

    channel: LeadChannel
    source_tags: _Tags = Field(default=(), alias="source_tag")
    campaign: ShortText = None
    intent: ShortText = Field(default=None, description="The product line asked about.")
    device_id: ShortText = None
    session_id: ShortText = None

    @field_validator("device_id", "session_id")
    @classmethod
    def _normalise_token(cls, value: str | None) -> str | None:
        return None if value is None else normalise_external_id(value)

    @field_validator("source_tags")
    @classmethod
    def _drop_blank_tags(cls, values: tuple[str | None, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(tag for tag in values if tag))

    @model_validator(mode="after")
    def _has_a_name(self) -> Self:
        """A lead may come without a name (a phone call, a scanned badge), but not without
        anything to recognise or reach the buyer by."""
        if not (
            self.company_name
            or self.contact_name
            or self.phones
            or self.emails
            or self.wechat
            or self.device_id
            or self.session_id
        ):
            raise ValueError(
                "phone: a lead needs a name, a phone, an e-mail, a WeChat id, a device id "
                "or a session id"
            )
        return self

    def lead_keys(self) -> tuple[IdentityKey, ...]:
        """The exact keys a lead holds: a customer's, plus the browser's device and session."""
        keys = list(self.identity_keys())
        if self.device_id:
            keys.append(IdentityKey(KeyKind.DEVICE, self.device_id))
        if self.session_id:
            keys.append(IdentityKey(KeyKind.SESSION, self.session_id))
        return tuple(keys)

    def touch(self) -> dict[str, Any]:
        """The arrival as events keep it."""
        return {
            "channel": self.channel.value,
            "source_tags": list(self.source_tags),
            "campaign": self.campaign,
            "intent": self.intent,
            "device_id": self.device_id,
            "session_id": self.session_id,
        }


class ConvertLead(Command):
    """Turn a lead into a customer: the identity check runs again (entry path
    ``conversion``), and the lead's owner and protection pass to the customer."""

    lead_id: UUID
