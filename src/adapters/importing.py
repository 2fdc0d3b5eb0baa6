"""Bulk entry of customer rows: validate each, decide each, save in batches.

The one path for every bulk source - the CSV import, ``crm demo`` and the identity
benchmarks - so they all measure and report the same thing. A row that fails
validation is reported as ``invalid`` naming its field and never reaches the store;
the others go through ``CrmApplication.register_customers`` on the import entry path.

An import survives any row: a batch that fails for a reason nobody planned (a bug, a
store error) is decided again row by row, and a row that still fails is reported as
``error`` with the reason while the import goes on. Nothing of a failed batch was
saved (a batch is one atomic save), so deciding it again creates nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from threading import Event
from uuid import UUID

from adapters.import_stage import staged_chunks
from adapters.store_errors import failure_reason
from crmcore import CrmApplication, RegisterCustomer
from crmcore.config import DedupMode, EntryPath
from crmcore.records import RegistrationResult

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportedRow:
    """What became of one input row; the columns of the import's results file."""

    row: int
    external_id: str | None
    outcome: str  # created | blocked | warned | merged | invalid | error
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
    stop: Event | None = None,
    workers: int = 0,
) -> Iterator[ImportedRow]:
    """Yields one :class:`ImportedRow` per input row, in input order (rows count from 1).

    ``stop`` is checked between batches: once it is set, no further batch starts, so
    every row of a saved batch is yielded before the import ends. ``workers`` processes
    validate and profile the batches ahead (``adapters.import_stage``; 0: this process).
    """
    numbered = enumerate(rows, start=1)
    chunks = iter(lambda: list(islice(numbered, batch_size)), [])
    staged = staged_chunks(chunks, actor=actor, phone_region=phone_region, workers=workers)
    with closing(staged):
        for chunk in staged:
            if stop is not None and stop.is_set():
                return
            done = {
                row.number: ImportedRow(
                    row.number,
                    row.external_id,
                    "invalid",
                    reason=f"{row.field}: {row.reason}",
                    field=row.field,
                )
                for row in chunk
                if row.command is None
            }
            pending = [(row.number, row.command) for row in chunk if row.command is not None]
            for imported in _register(app, pending, mode):
                done[imported.row] = imported
            if on_batch is not None:
                on_batch(len(chunk))
            yield from (done[row.number] for row in chunk)


def _register(
    app: CrmApplication, pending: list[tuple[int, RegisterCustomer]], mode: DedupMode | None
) -> list[ImportedRow]:
    """The batch in one save; if that fails, each row on its own, a failure reported."""
    if not pending:
        return []
    try:
        results = app.register_customers(
            [command for _, command in pending], entry_path=EntryPath.IMPORT, mode=mode
        )
    except Exception:  # any failure: the rows are decided one by one
        _log.debug("batch of %d rows failed; deciding them one by one", len(pending), exc_info=True)
    else:
        return [
            _outcome(number, command, result)
            for (number, command), result in zip(pending, results, strict=True)
        ]
    rows = []
    for number, command in pending:
        try:
            (result,) = app.register_customers([command], entry_path=EntryPath.IMPORT, mode=mode)
        except Exception as error:  # reported on the row; the import goes on
            _log.debug("row %d failed", number, exc_info=True)
            rows.append(
                ImportedRow(number, command.external_id, "error", reason=failure_reason(error))
            )
        else:
            rows.append(_outcome(number, command, result))
    return rows
