"""Commands of the sales organisation and of ownership: reps, assign, claim, follow-up...

Validated like every command (``parse_command``): a bad field is a ValidationFailed
naming it, before anything is read or written.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from crmcore.clock import as_utc
from crmcore.commands import (
    ActorId,
    Command,
    RequiredNote,
    ShortText,
    Tag,
    _clean_text,
    _split_list,
)

# Rep ids are how reps are named in every event: letters (any script), digits, . _ - @ :
RepId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[^\W_][\w.@:-]*$"),
    AfterValidator(_clean_text),
]
_Names = Annotated[
    tuple[Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_clean_text)], ...],
    BeforeValidator(_split_list),
    Field(max_length=50),
]

# What reps type when they did not really follow up (填写"已跟进"不算跟进).
_EMPTY_FOLLOW_UPS = frozenset(
    {
        "done",
        "ok",
        "okay",
        "na",
        "n/a",
        "none",
        "nil",
        "followed up",
        "called",
        "contacted",
        "已跟进",
        "跟进",
        "已联系",
        "联系了",
        "完成",
        "已完成",
        "无",
        "好",
        "好的",
        "已打电话",
    }
)
_SUBSTANCE = 4  # characters of substance (letters, digits, Han) a note must have


def _substantial(value: str) -> str:
    text = value.strip()
    folded = re.sub(r"[\s\W_]+", " ", text.casefold()).strip()
    if folded in _EMPTY_FOLLOW_UPS:
        raise ValueError(f"{value!r} says nothing; write what was discussed")
    letters = [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    if len(letters) < _SUBSTANCE:
        raise ValueError(f"needs at least {_SUBSTANCE} letters or digits of substance")
    return text


FollowUpText = Annotated[
    str,
    Field(min_length=1, max_length=2000),
    AfterValidator(_clean_text),
    AfterValidator(_substantial),
]


class FollowUpChannel(StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    WECHAT = "wechat"
    EMAIL = "email"
    MEETING = "meeting"
    SMS = "sms"
    VIDEO = "video"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class AddRep(Command):
    """Add a rep to the sales organisation, or change the profile of one already in it."""

    rep_id: RepId
    team: ShortText = None
    supervisor: bool = False
    regions: _Names = ()
    industries: _Names = ()
    product_lines: _Names = ()
    channels: _Names = ()
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    tier: int = Field(default=1, ge=1, le=10)
    weight: float = Field(default=1.0, gt=0, le=100)


class RepLeaves(Command):
    """A rep leaves (离职): their customers go to ``handover_to``, or to the pool."""

    rep_id: RepId
    handover_to: RepId | None = None
    to_pool: bool = False

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        if (self.handover_to is None) == (not self.to_pool):
            raise ValueError("handover_to: name a rep to hand over to, or choose the pool")
        if self.handover_to == self.rep_id:
            raise ValueError("handover_to: a leaving rep cannot hand over to themselves")
        return self


class _CustomerCommand(Command):
    customer_id: UUID


class AssignCustomer(_CustomerCommand):
    """Give an unowned customer an owner: ``rep``, or the one the assignment rules pick."""

    rep: RepId | None = None
    product_line: ShortText = None
    account_tier: Tag = None


class ClaimCustomer(_CustomerCommand):
    """``rep`` takes a customer from the pool (公海领取)."""

    rep: RepId


class ReleaseCustomer(_CustomerCommand):
    """``rep`` gives the customer back to the pool; the reason is required."""

    rep: RepId
    reason: RequiredNote


class TransferCustomer(_CustomerCommand):
    """Supervisor ``by`` moves the customer from its owner to ``to``."""

    to: RepId
    by: RepId


class RecordFollowUp(_CustomerCommand):
    """A contact with the customer: all four parts are needed for it to count (有效跟进)."""

    rep: RepId
    channel: FollowUpChannel
    content: FollowUpText
    outcome: FollowUpText
    next_contact_at: datetime

    @field_validator("next_contact_at")
    @classmethod
    def _next_contact_aware(cls, value: datetime) -> datetime:
        return as_utc(value)


class SetCollaborators(_CustomerCommand):
    """Credit reps alongside the owner; ``shares`` maps rep id to its attribution share."""

    by: RepId
    shares: dict[RepId, Annotated[float, Field(gt=0, lt=1)]] = Field(max_length=20)

    @model_validator(mode="after")
    def _owner_keeps_a_share(self) -> Self:
        if sum(self.shares.values()) >= 1:
            raise ValueError("shares: collaborators' shares must leave the owner a share")
        return self


class NoteOpportunity(_CustomerCommand):
    """An opportunity with the customer opened, won or was lost (it sets protection)."""

    opportunity_id: Annotated[str, Field(min_length=1, max_length=64)]
    rep: RepId
    status: OpportunityStatus


__all__ = [
    "ActorId",
    "AddRep",
    "AssignCustomer",
    "ClaimCustomer",
    "FollowUpChannel",
    "NoteOpportunity",
    "OpportunityStatus",
    "RecordFollowUp",
    "ReleaseCustomer",
    "RepLeaves",
    "SetCollaborators",
    "TransferCustomer",
]
