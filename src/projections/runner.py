"""The one runner that keeps read models current: events in log order, a batch per
transaction, each view's position moved in the same transaction as its rows.

Why not eventsourcing's ``ProjectionRunner``: it commits one event per transaction
from threads it starts, and constructs an application of its own; a catch-up of a
million events at one transaction each is minutes on SQLite, and the SQLite recorder
cannot subscribe anyway. This runner keeps the same guarantees - positions tracked
atomically with the view, "greater than the last id" reads, so ids with gaps are
safe - and applies up to ``batch_size`` events per transaction.

Two processes may catch up the same view at once (a command and ``crm projections
run``, or several writers on PostgreSQL): each batch first locks the views' position
rows and reads them under the lock, then applies only the events after each view's
locked position and moves it, in the same transaction. A second runner waits on the
lock, then finds the positions moved and applies what is left of its page, if
anything: no event is applied twice, and nobody re-reads and retries (the earlier
compare-and-set made every loser roll back, read the positions again and go round
once more - most of a command's catch-up when four writers shared a view).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Recording
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from crmcore.errors import ValidationFailed
from crmcore.personal_data import prefetch_keys
from projections.personal import PersonalSeal
from projections.projection import Projection, ViewWriter
from projections.tables import read_model_positions

BATCH_SIZE = 5_000  # as the relay: ~0.5 s of write lock per batch, 9k events/s at 100k

# Statements built once: a command catches a view up before it decides, and building a
# statement (and its cache key) cost more than running it on SQLite.
_POSITIONS = read_model_positions
# An arbitrary constant naming "a view's tables are being (re)created" among advisory locks.
_DDL_LOCK = 0x63726D5F76696577  # "crm_view"

_STORED = select(_POSITIONS.c.name, _POSITIONS.c.position, _POSITIONS.c.layout).where(
    _POSITIONS.c.name.in_(bindparam("names", expanding=True))
)
# A write that changes nothing, returning the positions: it takes PostgreSQL's row locks
# (waiting for a runner that holds them, then reading what it committed) and SQLite's
# file lock, and reads under them in the same statement.
_LOCK = (
    update(_POSITIONS)
    .where(_POSITIONS.c.name.in_(bindparam("names", expanding=True)))
    .values(name=_POSITIONS.c.name)
    .returning(_POSITIONS.c.name, _POSITIONS.c.position)
)
_MOVE = (
    update(_POSITIONS)
    .where(_POSITIONS.c.name.in_(bindparam("names", expanding=True)))
    .values(position=bindparam("new"))
)
_MOVE_FROM = (
    update(_POSITIONS)
    .where(
        _POSITIONS.c.name.in_(bindparam("names", expanding=True)),
        _POSITIONS.c.position == bindparam("old"),
    )
    .values(position=bindparam("new"))
)


@dataclass(frozen=True)
class ViewStatus:
    """Where one view stands: its position, how many of its events wait, its rows."""

    name: str
    position: int | None
    lag: int
    rows: int
    layout: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "lag": self.lag,
            "rows": self.rows,
            "layout": self.layout,
        }


class _Moved(Exception):
    """Another process moved a view's position first (or a rebuild removed its row);
    read the positions again."""


class ProjectionRunner:
    """Applies the log of ``app`` to ``projections`` whose tables live in ``engine``."""

    def __init__(
        self,
        app: Application[UUID],
        engine: Engine,
        projections: Sequence[Projection],
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._app = app
        self._engine = engine
        self._projections = {p.name: p for p in projections}
        self._batch_size = batch_size
        self._opened = False
        self._known: dict[str, int | None] | None = None
        self._topics = sorted({t for p in projections for t in p.topics})
        self.personal = PersonalSeal.of(app)
        """How these views keep personal values (sealed when the store protects them)."""

    @property
    def engine(self) -> Engine:
        """The database the views live in, for their queries."""
        return self._engine

    # -- keeping views current -----------------------------------------------------

    def catch_up(
        self,
        *,
        limit: int | None = None,
        stop: Event | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Applies what was recorded after each view's position; returns how many
        events were read. ``limit`` bounds that number (a partial catch-up); ``stop``
        ends it between batches."""
        self._open()
        # The positions this runner last wrote or read: a command catching up before
        # every decision need not read them each time: each batch reads them again
        # under its lock, so a stale value costs nothing but a page. (While another
        # process rebuilds a view, this one serves the partly rebuilt rows until then.)
        positions = self._known if self._known is not None else self._positions()
        topics = self._topics
        read = 0
        while limit is None or read < limit:
            if stop is not None and stop.is_set():
                break
            # Read before the page: every id up to the head is committed by now, so a
            # short page means none of these views' events lies between it and the head.
            head = self._app.recorder.max_notification_id() or 0
            start = _lowest(positions.values())
            if head <= (start or 0):
                break
            size = self._batch_size if limit is None else min(self._batch_size, limit - read)
            page = self._app.recorder.select_notifications(
                start=start, limit=size, topics=topics, inclusive_of_start=False
            )
            at_end = len(page) < size
            # A view whose events are rare moves to the head too, or every catch-up
            # would scan the whole log for them again.
            last = max(page[-1].id if page else 0, head if at_end else 0)
            if last <= (start or 0):
                break
            try:
                with self._engine.begin() as connection:
                    applied = self._apply(connection, page, positions, last, start=start)
                positions = applied  # committed
            except _Moved:
                positions = self._positions()
                continue
            read += len(page)
            if on_batch is not None and page:
                on_batch(len(page))
            if at_end:
                break
        self._known = positions
        return read

    def take(self, recordings: Sequence[Recording[UUID]]) -> bool:
        """Applies events this process has just saved, without reading them back from
        the store, when they are the very next ones in the log after every view's
        position (nobody wrote in between); returns whether it did. Otherwise, or when
        another process moved a position first, it leaves them to the next catch-up.

        A command that catches up before it decides would otherwise read back, decode
        and apply its own previous events first: one query and a decode per event fewer.
        """
        positions = self._known
        if not recordings or positions is None:
            return False
        start = _lowest(positions.values())
        ids = sorted(r.notification.id for r in recordings)
        if start is None or any(p != start for p in positions.values()):
            return False
        if ids != list(range(start + 1, start + 1 + len(ids))):
            return False  # another writer's events lie between: catch-up reads them
        known = {r.notification.id: r.domain_event for r in recordings}
        page = sorted((r.notification for r in recordings), key=lambda n: n.id)
        try:
            with self._engine.begin() as connection:
                applied = self._apply(connection, page, positions, ids[-1], known, start=start)
        except _Moved:  # another process applied them (or more): read where it left them
            self._known = None
            return False
        except OperationalError:  # locked: the next catch-up will
            self._known = None
            return False
        self._known = applied  # committed
        return True

    def _apply(
        self,
        connection: Connection,
        page: Sequence[Notification],
        positions: dict[str, int | None],
        last: int,
        known: Mapping[int, object] | None = None,
        *,
        start: int | None = None,
    ) -> dict[str, int | None]:
        """Applies the page's events after each view's position and moves the views
        behind ``last`` to it; returns the positions as this transaction leaves them
        (``positions`` is not changed: the caller takes them once it has committed).

        ``start`` is the page's exclusive lower bound. A catch-up locks the positions and
        reads them under the lock first; a view found behind ``start`` (another runner
        has just reset it for a rebuild) is not covered by the page - ``_Moved``, read
        again. A process's own events (``known``) are applied only if every view is
        still at ``start``, where this runner last saw them all - one compare-and-set
        moving them all, the single statement a lone writer pays per command - else
        ``_Moved``: others' events may lie between.
        """
        if known is not None:
            names = list(self._projections)
            move = {"names": names, "old": start, "new": last}
            if connection.execute(_MOVE_FROM, move).rowcount != len(names):
                raise _Moved
            behind = list(self._projections.values())
        else:
            positions = self._lock(connection)
            if any((position or 0) < (start or 0) for position in positions.values()):
                raise _Moved
            behind = [p for p in self._projections.values() if (positions[p.name] or 0) < last]
            if not behind:
                return positions
            names = [p.name for p in behind]
            if connection.execute(_MOVE, {"names": names, "new": last}).rowcount != len(names):
                raise _Moved  # a view's row is gone: being rebuilt
        writer = ViewWriter(connection, self.personal)
        to_domain_event = self._app.mapper.to_domain_event
        if not known:
            prefetch_keys(self._app.mapper, page)
        for notification in page:
            event: Any = None
            for projection in behind:
                handler = projection.topics.get(notification.topic)
                if handler is None or notification.id <= (positions[projection.name] or 0):
                    continue
                if event is None:
                    event = known[notification.id] if known else to_domain_event(notification)
                writer.notification_id = notification.id
                handler(writer, event)
        writer.flush()
        return {**positions, **dict.fromkeys(names, last)}

    def _lock(self, connection: Connection) -> dict[str, int | None]:
        """This runner's view positions, read under a lock held to the end of
        ``connection``'s transaction (a view without a row: None)."""
        rows = connection.execute(_LOCK, {"names": list(self._projections)})
        stored = dict(rows.tuples().all())
        return {name: stored.get(name) for name in self._projections}

    def run(
        self,
        stop: Event,
        poll_interval_s: float = 1.0,
        *,
        once: bool = False,
        after: Callable[[int], object] | None = None,
    ) -> int:
        """Follows the log until ``stop`` is set (``once``: one catch-up); returns how
        many events it read. ``after`` is called with the count of each catch-up that
        read any (the duplicate report recomputes what they marked)."""
        total = 0
        while not stop.is_set():
            read = self.catch_up(stop=stop)
            total += read
            if read and after is not None and not stop.is_set():
                after(read)
            if once:
                break
            stop.wait(poll_interval_s)
        return total

    # -- rebuilding and reporting --------------------------------------------------

    def rebuild(
        self, names: Iterable[str] | None = None, on_batch: Callable[[int], None] | None = None
    ) -> int:
        """Drops and refills the named views (default: all) from the log alone."""
        chosen = [self._projection(name) for name in names] if names else None
        self._open()
        for projection in chosen or self._projections.values():
            self._reset(projection)
        self._known = None  # the positions just written, not those this runner last saw
        return self.catch_up(on_batch=on_batch)

    def known_position(self) -> int | None:
        """The lowest position of the views as this runner last saw or left them, without
        a query; None when it does not know (not read yet, or another process moved
        them since)."""
        return None if self._known is None else _lowest(self._known.values())

    def position(self, name: str) -> int | None:
        """The last notification id the named view has applied (None: none yet)."""
        self._projection(name)
        return self._positions()[name]

    def status(self) -> list[ViewStatus]:
        """Every view's position, lag (its events after the position) and rows."""
        self._open()
        positions = self._positions()
        statuses = []
        with self._engine.connect() as connection:
            for projection in self._projections.values():
                rows = sum(
                    connection.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in projection.tables
                )
                position = positions[projection.name]
                statuses.append(
                    ViewStatus(
                        projection.name,
                        position,
                        self._lag(list(projection.topics), position),
                        rows,
                        projection.layout,
                    )
                )
        return statuses

    def _lag(self, topics: list[str], position: int | None) -> int:
        """How many events of ``topics`` follow ``position``: paged, so O(lag)."""
        count = 0
        while page := self._app.recorder.select_notifications(
            start=position, limit=10_000, topics=topics, inclusive_of_start=False
        ):
            count += len(page)
            position = page[-1].id
        return count

    # -- positions and layouts -----------------------------------------------------

    def _projection(self, name: str) -> Projection:
        try:
            return self._projections[name]
        except KeyError:
            known = ", ".join(sorted(self._projections))
            raise ValidationFailed("name", f"no view named {name!r}; views: {known}") from None

    def _open(self) -> None:
        """Creates missing tables and rebuilds views whose stored layout is not the
        code's (their rows were written by other handlers)."""
        if self._opened:
            return
        stored = self._stored()
        for projection in self._projections.values():
            if projection.name not in stored or stored[projection.name][1] != projection.layout:
                self._reset(projection, only_if_stale=True)
        self._opened = True

    def _reset(self, projection: Projection, *, only_if_stale: bool = False) -> None:
        """Empties the view and sets its position to the start, in one transaction;
        with ``only_if_stale``, not if another process has just done it."""
        table = read_model_positions
        with self._engine.begin() as connection:
            # A write first, so this transaction holds the lock before it looks: on SQLite
            # any write locks the file; on PostgreSQL an update of a row not there yet locks
            # nothing, so processes opening a new database together queue on an advisory
            # lock (concurrent CREATE TABLEs collide in PostgreSQL's catalogue).
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK})
            connection.execute(
                update(table).where(table.c.name == projection.name).values(name=table.c.name)
            )
            layout = connection.execute(
                select(table.c.layout).where(table.c.name == projection.name)
            ).scalar()
            if only_if_stale and layout == projection.layout:
                return
            for view_table in reversed(projection.tables):
                view_table.drop(connection, checkfirst=True)
            for view_table in projection.tables:
                view_table.create(connection)
            connection.execute(table.delete().where(table.c.name == projection.name))
            connection.execute(
                insert(table).values(name=projection.name, position=None, layout=projection.layout)
            )

    def _positions(self) -> dict[str, int | None]:
        stored = self._stored()
        return {name: stored[name][0] if name in stored else None for name in self._projections}

    def _stored(self) -> dict[str, tuple[int | None, int | None]]:
        """Position and layout of this runner's views, as ``read_model_positions`` has them."""
        with self._engine.connect() as connection:
            rows = connection.execute(_STORED, {"names": list(self._projections)})
            return {name: (position, layout) for name, position, layout in rows}


def _lowest(positions: Iterable[int | None]) -> int | None:
    values = list(positions)
    return None if any(p is None for p in values) else min(p for p in values if p is not None)
