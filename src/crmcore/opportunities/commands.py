"""Opportunity commands: open one with a customer, update its fields, move its stage.

Gate fields (``details``) are named by the pipeline's configuration, so they are free
snake_case names with short text values; ``amount`` is a decimal with at most two
places, kept as text; ``expected_close`` a date.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from crmcore.commands import Command, LongText, Note, _clean_text
from crmcore.money import Amount

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CORE = frozenset({"title", "need", "amount"})


Title = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]
Category = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_clean_text)]
StageName = Annotated[str, Field(min_length=1, max_length=40)]


def _details(values: dict[str, str | None]) -> dict[str, str | None]:
    cleaned: dict[str, str | None] = {}
    for name, value in values.items():
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a field name (snake_case, up to 40 characters)")
        if name in _CORE:
            raise ValueError(f"{name!r} is set with its own option, not as a detail")
        text = None if value is None else _clean_text(value)
        if text is not None and len(text) > 200:
            raise ValueError(f"{name}: longer than 200 characters")
        cleaned[name] = text or None
    return cleaned


Details = Annotated[dict[str, str | None], AfterValidator(_details), Field(max_length=30)]


class OpenOpportunity(Command):
    """Open an opportunity with a customer (its owner, a collaborator or a supervisor)."""

    customer_id: UUID
    title: Title
    product_category: Category
    need: Note = None
    amount: Amount = None
    expected_close: date | None = None
    details: Details = Field(default_factory=dict)

    @field_validator("details")
    @classmethod
    def _no_blanks(cls, values: dict[str, str | None]) -> dict[str, str | None]:
        return {name: value for name, value in values.items() if value is not None}


class UpdateOpportunity(Command):
    """Change an opportunity's title, need, amount or gate fields (a blank one clears)."""

    opportunity_id: UUID
    title: LongText = None
    need: Note = None
    amount: Amount = None
    details: Details = Field(default_factory=dict)

    def changes(self) -> dict[str, str | None]:
        core = {name: getattr(self, name) for name in ("title", "need", "amount")}
        return {**{k: v for k, v in core.items() if v is not None}, **self.details}


class AdvanceOpportunity(Command):
    """Move an opportunity to stage ``to``, setting ``details`` first (same save)."""

    opportunity_id: UUID
    to: StageName
    details: Details = Field(default_factory=dict)
