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

import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice
from threading import Event
from typing import TypeVar
from uuid import UUID

from adapters.import_stage import staged_chunks
from adapters.store_errors import failure_reason, store_problem
from adapters.store_outage import STORE_WAIT_SECONDS, wait_for_store
from crmcore import CrmApplication, RegisterCustomer
from crmcore.config import DedupMode, EntryPath
from crmcore.errors import StoreUnavailable
from crmcore.records import RegistrationResult

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


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
    store_wait: float = STORE_WAIT_SECONDS,
) -> Iterator[ImportedRow]:
    """Yields one :class:`ImportedRow` per input row, in input order (rows count from 1).

    ``stop`` is checked between batches: once it is set, no further batch starts, so
    every row of a saved batch is yielded before the import ends. ``workers`` processes
    validate and profile the batches ahead (``adapters.import_stage``; 0: this process).
    A store that goes away is waited for up to ``store_wait`` seconds (then
    :class:`StoreUnavailable`).
    """
    numbered = enumerate(rows, start=1)
    chunks = iter(lambda: list(islice(numbered, batch_size)), [])
    staged = staged_chunks(chunks, actor=actor, phone_region=phone_region, workers=workers)
    with closing(staged), fewer_collections():
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
            for imported in _register(app, pending, mode, store_wait):
                done[imported.row] = imported
            if on_batch is not None:
                on_batch(len(chunk))
            yield from (done[row.number] for row in chunk)


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Python's cycle collector run less often while a bulk path works: a batch makes
    hundreds of thousands of short-lived objects (events, rows, profiles), and with the
    default threshold (700 allocations) the collector took ~14% of an import's time,
    each pass walking the name dictionaries and caches that live as long as the process
    (2-3% at 50,000; ``docs/performance-history.md``). Cycles are still collected; the
    setting before is put back."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _register(
    app: CrmApplication,
    pending: list[tuple[int, RegisterCustomer]],
    mode: DedupMode | None,
    store_wait: float,
) -> list[ImportedRow]:
    """The batch in one save; if that fails, each row on its own, a failure reported.

    A store that went away (a database server restarting) is waited for, and the batch
    or row saved once it is back; one that stays away ends the import with
    :class:`StoreUnavailable` - the rows decided so far are reported, and a re-run
    completes the file.
    """
    if not pending:
        return []
    commands = [command for _, command in pending]
    try:
        results = _once_back(
            app,
            lambda: app.register_customers(commands, entry_path=EntryPath.IMPORT, mode=mode),
            store_wait,
        )
    except StoreUnavailable:
        raise
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
            (result,) = _once_back(
                app,
                lambda c=command: app.register_customers(  # type: ignore[misc]
                    [c], entry_path=EntryPath.IMPORT, mode=mode
                ),
                store_wait,
            )
        except StoreUnavailable:
            raise
        except Exception as error:  # reported on the row; the import goes on
            _log.debug("row %d failed", number, exc_info=True)
            rows.append(
                ImportedRow(number, command.external_id, "error", reason=failure_reason(error))
            )
        else:
            rows.append(_outcome(number, command, result))
    return rows


def _once_back(app: CrmApplication, save: Callable[[], _T], store_wait: float) -> _T:
    """``save()``; if it failed because the store is unreachable, ``save()`` again once
    the store answers. A failure of the store while it still answers (a refused row, a
    full disk) is the caller's, at once."""
    try:
        return save()
    except Exception as error:
        if store_problem(error) is None or not wait_for_store(app, error, store_wait):
            raise
    return save()
