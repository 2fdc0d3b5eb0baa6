"""Report rows as CSV on standard output, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel and LibreOffice (``=cmd|' /C calc'!A0``); such text cells get a leading
apostrophe, the OWASP-recommended neutralisation. A plain signed number (a phone in
E.164, ``+8613800138000``; ``-3``) computes nothing and is written as it is.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will show, never execute.

    >>> safe_cell("=cmd|' /C calc'!A0"), safe_cell("+8613800138000"), safe_cell("-1+1")
    ("'=cmd|' /C calc'!A0", '+8613800138000', "'-1+1")
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return "" if value is None else value


def unquoted(cell: str) -> str:
    """A cell as it was before ``safe_cell``: a file crmcore wrote reads back the same.

    >>> unquoted("'=cmd|' /C calc'!A0"), unquoted("'tis"), unquoted("=1+1")
    ("=cmd|' /C calc'!A0", "'tis", '=1+1')
    """
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


def print_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
