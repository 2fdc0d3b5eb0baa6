"""The duplicate-candidates view: the batch scan's report, kept current as the log moves.

A pair of live customers is in the report when the entry check's rules would call them
one customer (suggest merge) or worth a look (review) - exactly what a whole-book scan
finds (:mod:`crmcore.identity.duplicate_scan`) - and nobody dismissed it (``crm
duplicates dismiss``, an event: ``duplicate_dismissals`` keeps them). Pairs no rule
fires on are counted by the scan, never stored.

Keeping it current costs what changed, not the book:

* the runner applies one handler per identity event (the events the identity view
  files), each marking the customers - or the key, when a key turns generic - whose
  pairs may have changed (``duplicate_marks``, one row per event and subject);
* :func:`refresh` takes the marks, recomputes those customers' pairs against the
  identity view (:func:`~crmcore.identity.duplicate_scan.pairs_of`), and swaps them in
  with the marks it took, in one transaction. A merged customer's pairs go (its
  survivor's are recomputed), a new look-alike's pairs come.

A rebuild (or new rules, or more marks than a scan costs) recomputes the whole report
with the scan instead: both paths give the same rows (a property test checks it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Engine

from crmcore.domain import Customer, DuplicateAttempt, IdentityKeyIndex, customer_merges
from crmcore.domain.customer_erasure import Erased
from crmcore.domain.duplicate_dismissal import DuplicateDismissal
from crmcore.identity.check import IdentityChecker
from crmcore.identity.duplicate_scan import (
    DuplicatePair,
    ScanOutcome,
    by_action,
    pairs_of,
    scan_duplicates,
)
from crmcore.identity.keys import IdentityKey
from crmcore.identity.profile import build_profile
from crmcore.personal_data import PERSONAL_KINDS
from projections.identity_queries import personal_of
from projections.personal import PLAIN, PersonalSeal
from projections.projection import Handler, Projection, ViewWriter
from projections.tables import byte_ordered, views

NAME = "duplicate_candidates"

candidates = Table(
    "duplicate_candidates",
    views,
    # Byte order, as the scan sorts ids (PostgreSQL's default collation would not).
    Column("customer_a", byte_ordered(36), primary_key=True),
    # Looked up on its own too, when a customer's pairs are replaced.
    Column("customer_b", byte_ordered(36), primary_key=True, index=True),
    Column("name_a", String(200), nullable=True),
    Column("name_b", String(200), nullable=True),
    Column("score", Float, nullable=False),
    Column("features", JSON, nullable=False),
    Column("rule", String(64), nullable=True),
    Column("suggested_action", String(16), nullable=False, index=True),
    Column("shared_keys", JSON, nullable=False),
)
marks = Table(
    "duplicate_marks",
    views,
    Column("event_no", Integer, primary_key=True, autoincrement=False),
    # "customer:<id>" or "key:<label>" (a key declared generic).
    Column("subject", String, primary_key=True),
)
dismissals = Table(
    "duplicate_dismissals",
    views,
    # A pair a person said is two customers: never reported again (byte order, as the
    # report's own ids).
    Column("customer_a", byte_ordered(36), primary_key=True),
    Column("customer_b", byte_ordered(36), primary_key=True),
    Column("reason", String, nullable=True),
    Column("dismissed_by", String, nullable=False),
    Column("dismissed_at", String, nullable=False),
)
state = Table(
    "duplicate_report_state",
    views,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("rule_set_version", String(32), nullable=False),
    # The identity view's position the report was last made current against.
    Column("scanned_through", Integer, nullable=True),
)

# More marks than this and one scan of the book is cheaper than a recompute per
# customer (each asks a few queries of the identity view).
FULL_SCAN_ABOVE = 2_000


def _mark(*subjects: str) -> Handler:
    """A handler marking the subjects the event's attributes name
    (``"customer:originator_id"``: the customer whose id is the event's originator)."""
    parts = [subject.split(":") for subject in subjects]

    def handle(writer: ViewWriter, event: Any) -> None:
        for kind, attribute in parts:
            subject = f"{kind}:{getattr(event, attribute)}"
            writer.insert(marks, {"event_no": writer.notification_id, "subject": subject})

    return handle


def _erased(writer: ViewWriter, event: Erased) -> None:
    """The erased customers' pairs leave the report at once (their names and shared
    keys with them); the customer is marked, so a refresh recomputes what is left."""
    _OWN(writer, event)
    for chunk in _chunks(sorted(str(subject) for subject in event.subjects)):
        writer.execute(_DROP_PAIRS_OF, {"ids": chunk})


def _dismissed(writer: ViewWriter, event: DuplicateDismissal.Dismissed) -> None:
    """The pair leaves the report now and stays out of every later scan."""
    a, b = str(event.customer_a), str(event.customer_b)
    writer.insert(
        dismissals,
        {
            "customer_a": a,
            "customer_b": b,
            "reason": event.reason,
            "dismissed_by": event.actor,
            "dismissed_at": event.occurred_at.isoformat(),
        },
    )
    writer.execute(
        delete(candidates).where(candidates.c.customer_a == a, candidates.c.customer_b == b)
    )


_OWN = _mark("customer:originator_id")
DUPLICATES_VIEW = Projection(
    name=NAME,
    # 3: only pairs worth a look are stored (no "ignore" rows), dismissals kept: a
    # report of layout 2 is rebuilt and rescanned on opening. 4: a person's name and
    # the personal shared keys sealed when the store protects personal data.
    layout=4,
    tables=(candidates, marks, dismissals, state),
    handlers={
        Customer.Registered: _OWN,
        Customer.RecordMerged: _OWN,
        Customer.ContactDetailsCorrected: _OWN,
        Customer.IdentityKeyAdded: _OWN,
        Customer.IdentityKeyRemoved: _OWN,
        customer_merges.Absorbed: _OWN,
        customer_merges.SplitOff: _OWN,
        Erased: _erased,
        customer_merges.MergedInto: _mark("customer:originator_id", "customer:survivor_id"),
        customer_merges.Restored: _mark("customer:originator_id", "customer:survivor_id"),
        DuplicateAttempt.Blocked: _mark("customer:existing_customer_id"),
        IdentityKeyIndex.DeclaredGeneric: _mark("key:key"),
        DuplicateDismissal.Dismissed: _dismissed,
    },
)


Scan = Callable[[IdentityChecker], ScanOutcome]
"""A whole-book scan: the in-memory reference, or an engine's (``adapters.duplicate_scan``)."""


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: ``scan`` (the whole book) or ``incremental``; how many
    customers' pairs it recomputed and how many pairs it wrote; the scan's outcome
    when it scanned (its counts and stage times)."""

    how: str
    customers: int
    pairs: int
    outcome: ScanOutcome | None = None
    dismissed: int = 0
    by_action: dict[str, int] = field(default_factory=dict)


def refresh(
    checker: IdentityChecker,
    engine: Engine,
    *,
    full: bool = False,
    scan: Scan = scan_duplicates,
) -> Refreshed:
    """Makes the report current with the identity view.

    The caller catches this view up first: its marks must not run ahead of the
    identity view the pairs are read from (the checker is caught up here, after).
    ``full`` scans the whole book whatever the marks say (``crm duplicates scan``).
    Dismissed pairs are left out either way.
    """
    checker.catch_up()
    with engine.connect() as connection:
        stored = connection.execute(select(state)).first()
        upto = connection.execute(select(func.max(marks.c.event_no))).scalar()
        subjects: set[str] = set()
        if upto is not None:
            taken = select(marks.c.subject).where(marks.c.event_no <= upto)
            subjects.update(connection.execute(taken).scalars())
    version = checker.config.rule_set_version
    if (
        full
        or stored is None
        or stored.rule_set_version != version
        or len(subjects) > FULL_SCAN_ABOVE
    ):
        outcome = scan(checker)
        began = time.perf_counter()
        kept, dismissed = _undismissed(engine, outcome.pairs)
        rows, position = _rows(checker, kept), checker.position
        with engine.begin() as connection:
            connection.execute(delete(candidates))
            _insert(connection, rows)
            _done(connection, version, position, upto)
        outcome.stages["write the report"] = time.perf_counter() - began
        customers = {c for p in kept for c in (p.customer_a, p.customer_b)}
        return Refreshed("scan", len(customers), len(kept), outcome, dismissed, by_action(kept))
    affected = _customers(checker, subjects)
    fresh: dict[tuple[UUID, UUID], DuplicatePair] = {}
    for customer_id in sorted(affected, key=str):
        for pair in pairs_of(checker, customer_id):
            fresh[(pair.customer_a, pair.customer_b)] = pair
    kept, dismissed = _undismissed(engine, list(fresh.values()))
    rows, position = _rows(checker, kept), checker.position
    with engine.begin() as connection:
        for chunk in _chunks(sorted(str(c) for c in affected)):
            connection.execute(_DROP_PAIRS_OF, {"ids": chunk})
        _insert(connection, rows)
        _done(connection, version, position, upto)
    return Refreshed(
        "incremental", len(affected), len(kept), dismissed=dismissed, by_action=by_action(kept)
    )


def _undismissed(engine: Engine, pairs: Sequence[DuplicatePair]) -> tuple[list[DuplicatePair], int]:
    """The pairs nobody dismissed, and how many were left out."""
    with engine.connect() as connection:
        said = set(connection.execute(select(dismissals.c.customer_a, dismissals.c.customer_b)))
    kept = [p for p in pairs if (str(p.customer_a), str(p.customer_b)) not in said]
    return kept, len(pairs) - len(kept)


def _customers(checker: IdentityChecker, subjects: Iterable[str]) -> set[UUID]:
    """The customers whose pairs the marked subjects may have changed, and the live
    customer each now stands for."""
    found: set[UUID] = set()
    for subject in subjects:
        kind, _, value = subject.partition(":")
        if kind == "customer":
            found.add(UUID(value))
        else:  # every customer listing a key now generic lost it as evidence
            key = IdentityKey.from_label(value)
            profile = build_profile(company_name=None, contact_name=None, keys=[key], region=None)
            found.update(entry.customer_id for entry in checker.source.candidates(profile))
    return found | set(checker.source.survivors(found).values())


def _rows(checker: IdentityChecker, pairs: Sequence[DuplicatePair]) -> list[dict[str, Any]]:
    """The pairs as rows, with each customer's name (read before the write begins). A
    person's name (a customer without a company name) is sealed under the customer's
    key, and a personal shared key under the first customer's, when the store protects
    personal data; an erasure drops the pair (``_erased``)."""
    personal = personal_of(checker.source)
    names: dict[UUID, str | None] = {}
    rows = []
    for pair in pairs:
        for cid in (pair.customer_a, pair.customer_b):
            if cid not in names:
                names[cid] = _stored_name(checker, personal, cid)
        row = {**pair.to_dict(), "name_a": names[pair.customer_a], "name_b": names[pair.customer_b]}
        if personal.protected:
            row["shared_keys"] = [
                _label(personal.seal, pair.customer_a, label) for label in pair.shared_keys
            ]
        rows.append(row)
    return rows


def _stored_name(checker: IdentityChecker, personal: PersonalSeal, cid: UUID) -> str | None:
    profile = checker.source.own_profile(cid)
    if profile is None:
        return None
    if profile.company is not None:
        return profile.company.raw
    return personal.seal(cid, profile.contact.raw) if profile.contact is not None else None


def _label(transform: Callable[[UUID, str | None], str | None], subject: UUID, label: str) -> str:
    """A ``kind:value`` label with a personal value sealed (or opened) for ``subject``."""
    kind, _, value = label.partition(":")
    if kind not in PERSONAL_KINDS:
        return label
    return f"{kind}:{transform(subject, value)}"


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5_000):
        connection.execute(insert(candidates), rows[start : start + 5_000])


def _done(connection: Connection, version: str, position: int | None, upto: int | None) -> None:
    """Drops the marks taken (later ones wait for the next refresh), stamps the state."""
    if upto is not None:
        connection.execute(delete(marks).where(marks.c.event_no <= upto))
    connection.execute(delete(state))
    connection.execute(
        insert(state), {"id": 1, "rule_set_version": version, "scanned_through": position}
    )


_DROP_PAIRS_OF = delete(candidates).where(
    or_(
        candidates.c.customer_a.in_(bindparam("ids", expanding=True)),
        candidates.c.customer_b.in_(bindparam("ids", expanding=True)),
    )
)


def _chunks(items: list[str], size: int = 400) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class ReportRow:
    customer_a: str
    customer_b: str
    name_a: str | None
    name_b: str | None
    score: float
    features: dict[str, float]
    rule: str | None
    suggested_action: str
    shared_keys: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _opened(personal: PersonalSeal, row: ReportRow) -> ReportRow:
    a, b = UUID(row.customer_a), UUID(row.customer_b)
    return replace(
        row,
        name_a=personal.open(a, row.name_a),
        name_b=personal.open(b, row.name_b),
        shared_keys=[_label(personal.open, a, label) for label in row.shared_keys],
    )


@dataclass(frozen=True)
class Report:
    position: int | None
    rule_set_version: str | None
    rows: list[ReportRow]


def read_report(
    engine: Engine, *, action: str | None = None, personal: PersonalSeal = PLAIN
) -> Report:
    """The report as last refreshed, strongest pair first; ``action`` keeps only that
    suggestion; ``personal``: the store's seal, which opens a person's name and the
    personal shared keys."""
    query = select(candidates).order_by(
        candidates.c.score.desc(), candidates.c.customer_a, candidates.c.customer_b
    )
    if action is not None:
        query = query.where(candidates.c.suggested_action == action)
    with engine.connect() as connection:
        stored = connection.execute(query).all()
        meta = connection.execute(select(state)).first()
    rows = [ReportRow(**row._mapping) for row in stored]
    if personal.protected:
        personal.prefetch({UUID(c) for row in rows for c in (row.customer_a, row.customer_b)})
        rows = [_opened(personal, row) for row in rows]
    if meta is None:
        return Report(None, None, rows)
    return Report(meta.scanned_through, meta.rule_set_version, rows)
