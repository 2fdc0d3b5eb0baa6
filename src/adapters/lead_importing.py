"""Bulk capture of lead rows: validate each, capture each, report each.

Every row is one capture on the command path (``CrmApplication.capture_lead``): the
identity check, the lead keys, scoring and routing, one atomic save. A row that fails
validation is ``invalid`` naming its column and never reaches the store; a row that
fails for a reason nobody planned is ``error`` with the reason, and the import goes on.

A row without ``at`` arrived, as far as anyone knows, when its file was written: it is
stamped with the file's modification time, so running the same file again finds every
row already captured (outcome ``unchanged``) instead of adding touches twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from threading import Event
from uuid import UUID
from zoneinfo import ZoneInfo

from adapters.store_errors import failure_reason
from crmcore import CaptureLead, CrmApplication, ValidationFailed, parse_command
from crmcore.clock import parse_instant

_log = logging.getLogger(__name__)
# Column -> the command's field, where they differ.
_FIELDS = {"at": "occurred_at"}
# The command's field -> the column a refusal names.
_COLUMNS = {"occurred_at": "at", "phones": "phone", "emails": "email"}


@dataclass(frozen=True)
class CapturedRow:
    """What became of one input row; the columns of the lead import's results file."""

    row: int
    external_id: str | None
    outcome: str  # created | joined_lead | joined_customer | unchanged | invalid | error
    lead_id: UUID | None = None
    customer_id: UUID | None = None
    touches: int | None = None
    score: int | None = None
    route: str | None = None
    owner: str | None = None
    reason: str = ""
    rule: str | None = None
    field: str | None = None

    def as_csv_row(self) -> dict[str, str]:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        return {
            "row": str(self.row),
            "external_id": text(self.external_id),
            "outcome": self.outcome,
            "lead_id": text(self.lead_id),
            "customer_id": text(self.customer_id),
            "touches": text(self.touches),
            "score": text(self.score),
            "route": text(self.route),
            "owner": text(self.owner),
            "reason": self.reason,
        }


def import_lead_rows(
    app: CrmApplication,
    rows: Iterable[Mapping[str, str]],
    *,
    actor: str,
    phone_region: str,
    zone: ZoneInfo,
    written_at: datetime,
    stop: Event | None = None,
) -> Iterator[CapturedRow]:
    """Yields one :class:`CapturedRow` per input row, in input order (rows count from 1);
    ``stop`` is checked between rows."""
    for number, fields in enumerate(rows, start=1):
        if stop is not None and stop.is_set():
            return
        external_id = fields.get("external_id") or None
        try:
            command = _command(fields, actor, phone_region, zone, written_at)
            result = app.capture_lead(command)
        except ValidationFailed as error:
            column = _COLUMNS.get(error.field, error.field)
            reason = f"{column}: {error.reason}"
            yield CapturedRow(number, external_id, "invalid", reason=reason, field=column)
            continue
        except Exception as error:  # reported on the row; the import goes on
            _log.debug("row %d failed", number, exc_info=True)
            yield CapturedRow(number, external_id, "error", reason=failure_reason(error))
            continue
        decision = result.decision
        yield CapturedRow(
            number,
            external_id,
            result.outcome,
            lead_id=result.lead_id,
            customer_id=result.customer_id,
            touches=result.touches,
            score=result.score,
            route=result.route,
            owner=result.owner,
            reason="" if decision.outcome == "created" else f"{decision.rule}",
            rule=decision.rule,
        )


def _command(
    fields: Mapping[str, str],
    actor: str,
    phone_region: str,
    zone: ZoneInfo,
    written_at: datetime,
) -> CaptureLead:
    data: dict[str, object] = {
        _FIELDS.get(name, name): value for name, value in fields.items() if value
    }
    data.setdefault("channel", "import")
    at = data.get("occurred_at")
    data["occurred_at"] = parse_instant(at, "at", zone) if isinstance(at, str) else written_at
    return parse_command(CaptureLead, {**data, "actor": actor}, phone_region=phone_region)
