"""The customer CSV: the import's input, the export's output, and the import results.

Input columns (header row, any order, any subset): ``external_id, company_name,
contact_name, phone, email, uscc, wechat, region, industry, source``. Several phones or
e-mails go in one cell separated by ``;``. UTF-8 with or without the byte-order mark
Excel writes is accepted. Columns outside the list are reported and ignored.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from adapters.files.safe_csv import safe_cell, unquoted
from crmcore.errors import ValidationFailed
from crmcore.personal_data import ERASED
from crmcore.records import CustomerRecord

CUSTOMER_COLUMNS = (
    "external_id",
    "company_name",
    "contact_name",
    "phone",
    "email",
    "uscc",
    "wechat",
    "region",
    "industry",
    "source",
)
RESULT_COLUMNS = ("row", "external_id", "outcome", "customer_id", "matched_customer_ids", "reason")
EXPORT_COLUMNS = ("customer_id", *CUSTOMER_COLUMNS)


@dataclass(frozen=True)
class CustomerFile:
    """An opened customer CSV: its known columns, the ones ignored, and its row count."""

    path: Path
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    row_count: int

    def rows(self) -> Iterator[dict[str, str]]:
        """Each data row as {column: cell}, known columns only, cells trimmed; a cell
        reading ``[erased]`` (an export of an erased customer) is empty: erased data is
        no value, and re-importing an export must not make it one."""
        with _open(self.path) as handle:
            reader = csv.DictReader(handle)
            for raw in reader:
                yield {name: _cell(raw.get(name)) for name in self.columns}


def _cell(raw: str | None) -> str:
    cell = unquoted((raw or "").strip())
    return "" if cell == ERASED else cell


def _open(path: Path) -> IO[str]:
    # utf-8-sig reads plain UTF-8 too, and drops the BOM Excel puts first.
    return path.open(encoding="utf-8-sig", newline="")


def open_customer_file(path: Path) -> CustomerFile:
    """Checks the header and encoding before anything is imported."""
    return open_csv(
        path,
        CUSTOMER_COLUMNS,
        ("company_name", "contact_name"),
        "the header needs company_name or contact_name (a customer needs a name)",
    )


def open_csv(
    path: Path, columns: tuple[str, ...], needs_one_of: tuple[str, ...], missing: str
) -> CustomerFile:
    """Checks a CSV's encoding and header (``columns`` known, one of ``needs_one_of``
    present, else ``missing`` is the error) before any row is read."""
    if not path.is_file():
        raise ValidationFailed("FILE", f"{path} is not a file")
    try:
        with _open(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            row_count = sum(1 for row in reader if any(cell.strip() for cell in row))
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            "FILE", f"{path} is not UTF-8 (byte {error.start}); save it as CSV UTF-8"
        ) from None
    except csv.Error as error:
        raise ValidationFailed("FILE", f"{path} is not a readable CSV: {error}") from None
    if not header:
        raise ValidationFailed("FILE", f"{path} has no header row")
    names = [name.strip().lower() for name in header]
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    if duplicated:
        raise ValidationFailed("FILE", f"columns appear twice: {', '.join(duplicated)}")
    known = tuple(name for name in names if name in columns)
    if not any(name in known for name in needs_one_of):
        raise ValidationFailed("FILE", missing)
    ignored = tuple(name for name in names if name not in columns)
    return CustomerFile(path, known, ignored, row_count)


def row_writer(handle: IO[str], columns: Iterable[str]) -> Callable[[dict[str, str]], object]:
    """Writes the header now and returns the function that writes one row; a cell a
    spreadsheet would run as a formula is written with a leading ``'``
    (``adapters.files.safe_csv.safe_cell``), which reading the file back removes."""
    writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()

    def write(row: dict[str, str]) -> object:
        return writer.writerow({name: safe_cell(value) for name, value in row.items()})

    return write


def write_rows(handle: IO[str], columns: Iterable[str], rows: Iterable[dict[str, str]]) -> int:
    """Writes a header and rows; returns how many rows."""
    write = row_writer(handle, columns)
    count = 0
    for row in rows:
        write(row)
        count += 1
    return count


def export_row(customer: CustomerRecord) -> dict[str, str]:
    """A customer as an import-compatible row (re-importing it finds the same customer).

    An erased customer's contact, phone, e-mail and WeChat cells read ``[erased]``: the
    file says the data was erased, not that there never was any (and the import reads
    those cells as empty)."""
    erased = customer.erased_at is not None
    return {
        "customer_id": str(customer.customer_id),
        "external_id": customer.external_id or "",
        "company_name": customer.company_name or "",
        "contact_name": ERASED if erased else customer.contact_name or "",
        "phone": ERASED if erased else ";".join(customer.phones),
        "email": ERASED if erased else ";".join(customer.emails),
        "uscc": ";".join(customer.usccs),
        "wechat": ERASED if erased else ";".join(customer.wechats),
        "region": customer.region or "",
        "industry": customer.industry or "",
        "source": customer.source or "",
    }
