"""Bulk entry of customer rows: validate each, decide each, save in batches.

The one path for every bulk source - the CSV import, ``crm demo`` and the identity
benchmarks - so they all measure and report the same thing. A row that fails
validation is reported as ``invalid`` naming its field and never reaches the store;
the others go through ``CrmApplication.register_customers`` on the import entry path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from uuid import UUID

from crmcore import CrmApplication, RegisterCustomer, ValidationFailed, parse_command
from crmcore.config import DedupMode, EntryPath
from crmcore.records import RegistrationResult


@dataclass(frozen=True)
class ImportedRow:
    """What became of one input row; the columns of the import's results file."""

    row: int
    external_id: str | None
    outcome: str  # created | blocked | warned | merged | invalid
    customer_id: UUID | None = None
    matched_customer_ids: tuple[UUID, ...] = ()
    reason: str = ""
    rule: str | None = None
    field: str | None = None

    def as_csv_row(self) -> dict[str, str]:
        return {
            "row": str(self.row),
            "external_id": self.external_id or "",
            "outcome": self.outcome,
            "customer_id": str(self.customer_id) if self.customer_id else "",
            "matched_customer_ids": ";".join(str(c) for c in self.matched_customer_ids),
            "reason": self.reason,
        }


def _reason(result: RegistrationResult) -> str:
    decision = result.decision
    if decision.outcome == "created":
        return ""
    best = decision.matches[0]
    evidence = ", ".join(best.shared_keys) or f"score {best.score:.2f}"
    return f"{decision.rule} ({evidence}; rules {decision.rule_set_version})"


def _outcome(number: int, command: RegisterCustomer, result: RegistrationResult) -> ImportedRow:
    return ImportedRow(
        row=number,
        external_id=command.external_id,
        outcome=result.outcome,
        customer_id=result.customer_id,
        matched_customer_ids=result.decision.matched_customer_ids,
        reason=_reason(result),
        rule=result.decision.rule,
    )


def import_rows(
    app: CrmApplication,
    rows: Iterable[Mapping[str, str]],
    *,
    actor: str,
    phone_region: str,
    batch_size: int,
    mode: DedupMode | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[ImportedRow]:
    """Yields one :class:`ImportedRow` per input row, in input order (rows count from 1)."""
    numbered = enumerate(rows, start=1)
    while chunk := list(islice(numbered, batch_size)):
        pending: list[tuple[int, RegisterCustomer]] = []
        done: dict[int, ImportedRow] = {}
        for number, fields in chunk:
            data = {name: value for name, value in fields.items() if value not in (None, "")}
            try:
                command = parse_command(
                    RegisterCustomer, {**data, "actor": actor}, phone_region=phone_region
                )
            except ValidationFailed as error:
                done[number] = ImportedRow(
                    number,
                    fields.get("external_id") or None,
                    "invalid",
                    reason=f"{error.field}: {error.reason}",
                    field=error.field,
                )
                continue
            pending.append((number, command))
        results = app.register_customers(
            [command for _, command in pending], entry_path=EntryPath.IMPORT, mode=mode
        )
        for (number, command), result in zip(pending, results, strict=True):
            done[number] = _outcome(number, command, result)
        if on_batch is not None:
            on_batch(len(chunk))
        yield from (done[number] for number, _ in chunk)
