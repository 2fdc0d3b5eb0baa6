"""The relay: follows the event log from its position and publishes every event to Kafka.

One pass reads a batch of notifications after the position, turns each into a
CloudEvent message, sends the batch, waits until the broker acknowledged all of it, and
only then moves the position to the batch's last notification id (ids may have gaps,
so it is "greater than the last", never "last + 1"). A crash anywhere before that write
sends the batch again; nothing is ever skipped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from threading import Event
from typing import Protocol

from adapters.persistence.sqlite_recorder import BulkReadingSQLiteApplicationRecorder
from adapters.relay.customer_keys import CustomerKeys
from adapters.relay.envelope import Envelopes, Message
from adapters.relay.pii import PiiPolicy
from adapters.relay.positions import RelayPositions
from crmcore.application import CrmApplication
from crmcore.errors import CrmError
from crmcore.personal_data import prefetch_keys


class DeliveryFailed(CrmError):
    """The broker did not acknowledge a batch; nothing after the last position counts."""

    code = "delivery_failed"


class Pending(Protocol):
    """A batch handed to the sink; ``wait`` returns once all of it is stored."""

    def wait(self) -> None: ...


class Sink(Protocol):
    """Where batches go, in order."""

    def send_batch(self, messages: Sequence[Message]) -> Pending: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EnvelopeOptions:
    source: str
    schema_base: str
    pii: PiiPolicy


@dataclass
class RelayReport:
    """What one pass published."""

    sent: int = 0
    batches: int = 0
    position: int | None = None
    failures: int = 0


@dataclass(frozen=True)
class RelayStatus:
    """Where the relay stands: its position, the log's end, and how many events lag."""

    topic: str
    position: int | None
    last_recorded: int
    lag: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Relay:
    """Publishes the log of ``app`` to a sink, batch by batch, from a tracked position."""

    def __init__(
        self,
        app: CrmApplication,
        positions: RelayPositions,
        options: EnvelopeOptions,
        *,
        batch_size: int = 5_000,
    ) -> None:
        self._app = app
        self._positions = positions
        self._options = options
        self._batch_size = batch_size
        self._caught_up: tuple[int | None, Envelopes] | None = None

    def publish_pending(
        self,
        sink: Sink,
        on_batch: Callable[[RelayReport], None] | None = None,
        stop: Event | None = None,
    ) -> RelayReport:
        """Sends everything recorded after the position (or, once ``stop`` is set, what
        is already in flight); raises DeliveryFailed (the position then stays at the
        last acknowledged batch)."""
        position = self._positions.load()
        envelopes = self._envelopes_at(position)
        self._caught_up = None  # until this pass ends well, its state may run ahead
        report = RelayReport(position=position)
        recorder, mapper = self._app.recorder, self._app.mapper
        # One batch is read and built while the one before it is on its way; a
        # position is committed only once its batch (and every one before) is acked.
        in_flight: deque[tuple[int, int, Pending]] = deque()
        while True:
            stopping = stop is not None and stop.is_set()
            page = (
                []
                if stopping
                else recorder.select_notifications(
                    start=position, limit=self._batch_size, inclusive_of_start=False
                )
            )
            if page:
                prefetch_keys(mapper, page)
                messages = [envelopes.message(n.topic, mapper.to_domain_event(n)) for n in page]
                position = page[-1].id
                in_flight.append((position, len(page), sink.send_batch(messages)))
            while in_flight and (len(in_flight) > 1 or not page):
                acked_position, count, pending = in_flight.popleft()
                pending.wait()
                self._positions.save(acked_position)
                report.sent += count
                report.batches += 1
                report.position = acked_position
                if on_batch is not None:
                    on_batch(report)
            if not page:
                self._caught_up = (position, envelopes)
                return report

    def _envelopes_at(self, position: int | None) -> Envelopes:
        """The envelopes (and merge state) as of ``position``: those the last pass ended
        with when it ended there, else rebuilt from the log (a poll of a caught-up
        relay must not rescan every merge of the log)."""
        if self._caught_up is not None and self._caught_up[0] == position:
            return self._caught_up[1]
        return Envelopes(
            CustomerKeys.as_of(self._app, position),
            self._options.pii,
            source=self._options.source,
            schema_base=self._options.schema_base,
        )

    def status(self, topic: str) -> RelayStatus:
        position = self._positions.load()
        recorder = self._app.recorder
        if not isinstance(recorder, BulkReadingSQLiteApplicationRecorder):
            raise TypeError("relay status needs crmcore's SQLite recorder")
        return RelayStatus(
            topic,
            position,
            recorder.max_notification_id() or 0,
            recorder.count_notifications_after(position),
        )

    def run(
        self,
        connect: Callable[[], Sink],
        stop: Event,
        *,
        poll_interval_s: float,
        once: bool = False,
        on_batch: Callable[[RelayReport], None] | None = None,
        on_failure: Callable[[DeliveryFailed, float], None] | None = None,
    ) -> RelayReport:
        """Publishes until ``stop`` is set (or, with ``once``, until caught up).

        A failed batch closes the producer, waits (1 s, doubling to 30 s) and starts a
        new one that resends from the position: a broker outage delays events, never
        loses them. With ``once`` a failure is raised instead.
        """
        total = RelayReport()
        backoff = 1.0
        sink: Sink | None = None
        try:
            while not stop.is_set():
                try:
                    sink = sink or connect()
                    report = self.publish_pending(sink, on_batch, stop)
                except DeliveryFailed as failure:
                    if sink is not None:
                        sink.close()
                        sink = None
                    if once:
                        raise
                    total.failures += 1
                    if on_failure is not None:
                        on_failure(failure, backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 1.0
                total.sent += report.sent
                total.batches += report.batches
                total.position = report.position
                if once:
                    break
                if not report.sent:
                    stop.wait(poll_interval_s)
        finally:
            if sink is not None:
                sink.close()
        return total
