"""Report rows as CSV on standard output, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel and LibreOffice (``=cmd|' /C calc'!A0``); such text cells get a leading
apostrophe, the OWASP-recommended neutralisation. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will show, never execute.

    >>> safe_cell("=cmd|' /C calc'!A0"), safe_cell(-3), safe_cell("rep-1")
    ("'=cmd|' /C calc'!A0", -3, 'rep-1')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def print_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
