"""Money as commands take it and events keep it: decimal text with two places.

Never a float: 0.1 + 0.2 is not 0.3, and an auditor adding up payments must get the
total the ledger has. Input may carry thousands separators (``1,200,000``).

>>> parse_amount("1,200,000")
'1200000.00'
>>> add("0.10", "0.20")
'0.30'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_CENT = Decimal("0.01")
_MAX = Decimal("1e13")


def parse_amount(value: str) -> str:
    """The amount as two-place decimal text; ValueError naming what is wrong."""
    try:
        number = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount (e.g. 120000 or 98000.50)") from None
    if not number.is_finite() or number < 0 or number > _MAX:
        raise ValueError(f"{value!r} is not an amount between 0 and 10^13")
    if number != number.quantize(_CENT):
        raise ValueError(f"{value!r} has more than two decimal places")
    return str(number.quantize(_CENT))


def add(total: str, amount: str) -> str:
    return str((Decimal(total) + Decimal(amount)).quantize(_CENT))


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _positive(value: str) -> str:
    if Decimal(value) <= 0:
        raise ValueError("must be more than 0")
    return value


Amount = Annotated[
    Annotated[str, Field(max_length=30), AfterValidator(parse_amount)] | None,
    BeforeValidator(_blank_to_none),
]
"""An optional amount (blank: none)."""

PositiveAmount = Annotated[
    str, Field(max_length=30), AfterValidator(parse_amount), AfterValidator(_positive)
]
"""A required amount above zero (a payment, an invoice, a contract)."""
