"""Staging an import's rows: validated and profiled in worker processes, ahead of the decisions.

A row's validation (pydantic, phonenumbers, email-validator) and its match profile
(opencc, pypinyin) were ~40% of an imported row's time (``scripts/profile_import.py``),
depend on the row alone and need nothing from the store. So a large import builds them
a chunk at a time in worker processes while this process decides and saves the chunk
before - on two cores, the other core does them. The decisions stay here, in file
order, through the same ``register_customers``: the results are those of the
in-process path by construction (the same ``parse_command``; the profile handed over
through the codec the identity view stores profiles with, whose round trip is the
profile ``record_profile`` builds, and handed in with ``remember_profile``).

A worker is a fresh interpreter (see :class:`_Worker` for why not ``multiprocessing``).
One that dies (killed, out of memory) costs nothing but speed: the chunks it held are
staged here instead.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass

from crmcore import RegisterCustomer, ValidationFailed, parse_command
from crmcore.identity.filing import remember_profile
from crmcore.identity.profile_codec import decode_profile, encode_profile

_log = logging.getLogger(__name__)

Chunk = list[tuple[int, Mapping[str, str]]]
"""Input rows numbered from 1, a batch's worth."""

STAGE_IN_WORKERS_FROM = 10_000
"""Rows below which an import stages in its own process: a worker's start (importing
the name dictionaries) costs about a second, which a small file would not win back
(10,000 rows: 823 rows/s in one process, 956 with a worker)."""

MAX_WORKERS = 4
"""More staging workers than this wait on the one process that decides and saves."""


@dataclass(frozen=True, slots=True)
class StagedRow:
    """One input row, validated: its command, or the field that failed and why."""

    number: int
    external_id: str | None
    command: RegisterCustomer | None = None
    field: str | None = None
    reason: str = ""


def staging_workers(rows: int | None, configured: int | None) -> int:
    """Worker processes for an import of ``rows`` rows (None: not known): the setting
    ``registration.staging_workers`` when given, else one fewer than the machine's
    cores (at most :data:`MAX_WORKERS`); none for a small file or a one-core machine."""
    if configured is not None:
        return configured
    if rows is not None and rows < STAGE_IN_WORKERS_FROM:
        return 0
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


def stage_chunk(chunk: Chunk, actor: str, phone_region: str) -> list[StagedRow]:
    """Validates a chunk's rows in this process (a row's empty cells are absent fields)."""
    staged = []
    for number, fields in chunk:
        data = {name: value for name, value in fields.items() if value not in (None, "")}
        try:
            command = parse_command(
                RegisterCustomer, {**data, "actor": actor}, phone_region=phone_region
            )
        except ValidationFailed as error:
            external_id = fields.get("external_id") or None
            staged.append(StagedRow(number, external_id, None, error.field, error.reason))
            continue
        staged.append(StagedRow(number, command.external_id, command))
    return staged


def _stage_in_worker(
    chunk: Chunk, actor: str, phone_region: str
) -> tuple[list[StagedRow], list[str | None]]:
    """Runs in a worker: the chunk validated, and each valid row's profile encoded (a
    third of the cost of unpickling the profile's objects)."""
    from crmcore.identity.filing import record_profile

    staged = stage_chunk(chunk, actor, phone_region)
    profiles = [
        encode_profile(record_profile(row.command.record())) if row.command else None
        for row in staged
    ]
    return staged, profiles


def _received(result: tuple[list[StagedRow], list[str | None]]) -> list[StagedRow]:
    staged, profiles = result
    for row, encoded in zip(staged, profiles, strict=True):
        if row.command is not None and encoded is not None:
            remember_profile(row.command.record(), decode_profile(encoded))
    return staged


class _Worker:
    """One staging process (``python -m adapters.import_stage``): a request is a pickled
    ``(chunk, actor, phone_region)`` on its stdin, the answer a pickled result on its
    stdout. At most one request is outstanding, so neither side can block the other on
    a full pipe. Not ``multiprocessing``: its ``spawn`` runs the caller's main script
    again in the child (a script without an ``if __name__`` guard would import twice),
    and ``fork`` copies a process with threads and open connections."""

    def __init__(self) -> None:
        # The child finds the modules this process found (a caller may have added paths).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "adapters.import_stage"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.busy_with: Chunk | None = None

    def send(self, chunk: Chunk, actor: str, phone_region: str) -> bool:
        """Hands a chunk over; False when the worker is gone."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            pickle.dump((chunk, actor, phone_region), stdin, pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        self.busy_with = chunk
        return True

    def receive(self) -> list[StagedRow] | None:
        """The answer to the chunk sent; None when the worker died before giving it."""
        stdout = self._process.stdout
        assert stdout is not None
        self.busy_with = None
        try:
            return _received(pickle.load(stdout))
        except Exception:  # gone, or an answer this process cannot read: staged here
            _log.debug("no answer from an import staging worker", exc_info=True)
            return None

    def stop(self) -> None:
        process = self._process
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def staged_chunks(
    chunks: Iterable[Chunk], *, actor: str, phone_region: str, workers: int
) -> Generator[list[StagedRow], None, None]:
    """Each chunk staged, in order. With ``workers``, each worker stages one chunk ahead
    of the one being decided (memory holds those, not the file); a worker that dies is
    replaced by this process for the chunks it would have staged."""
    if workers <= 0:
        for chunk in chunks:
            yield stage_chunk(chunk, actor, phone_region)
        return
    started = []
    for _ in range(workers):
        try:
            started.append(_Worker())
        except OSError as error:  # no process to be had (limits, memory): staged here
            _log.warning("no import staging worker could start (%s)", error)
            break
    alive = list(started)
    pending: deque[tuple[Chunk, _Worker | None]] = deque()
    source = iter(chunks)

    def hand_out() -> None:
        """Gives every idle worker the next chunk (the file is read no further ahead)."""
        for worker in [w for w in alive if w.busy_with is None]:
            if (ahead := next(source, None)) is None:
                return
            if worker.send(ahead, actor, phone_region):
                pending.append((ahead, worker))
            else:
                alive.remove(worker)
                pending.append((ahead, None))

    try:
        # The first chunk is staged here while the workers start (importing the name
        # dictionaries takes them about a second): they take the chunks after it.
        first = next(source, None)
        if first is None:
            return
        hand_out()
        yield stage_chunk(first, actor, phone_region)
        while True:
            hand_out()
            if not pending:  # no worker left: the rest is staged here
                for chunk in source:
                    yield stage_chunk(chunk, actor, phone_region)
                return
            chunk, worker = pending.popleft()
            staged = worker.receive() if worker is not None else None
            if staged is None:
                if worker is not None and worker in alive:
                    _log.warning("an import staging worker died; staging in this process")
                    alive.remove(worker)
                staged = stage_chunk(chunk, actor, phone_region)
            hand_out()  # the next chunk is staged while this one is decided
            yield staged
    finally:
        for worker in started:
            worker.stop()


def _serve() -> None:
    """A staging worker's loop: requests from stdin until it closes."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the answers' stream
    # Ctrl-C reaches the whole process group: the importing process decides what it
    # means (finish the batch), and this one ends when its requests' stream closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            chunk, actor, phone_region = pickle.load(requests)
        except EOFError:
            return
        try:
            pickle.dump(
                _stage_in_worker(chunk, actor, phone_region), answers, pickle.HIGHEST_PROTOCOL
            )
            answers.flush()
        except BrokenPipeError:  # the importing process has gone
            return


if __name__ == "__main__":
    # Run as a module, this file is ``__main__``: its answers must name the classes of
    # ``adapters.import_stage``, which the importing process unpickles them as.
    from adapters.import_stage import _serve as serve

    serve()
