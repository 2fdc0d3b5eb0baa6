"""Ctrl-C and SIGTERM as a request to stop, for commands that work in batches."""

from __future__ import annotations

import signal
from threading import Event


def stop_requested() -> Event:
    """An event that Ctrl-C or SIGTERM sets instead of raising.

    Long commands (relay, tail, import) check it between batches, so what is in
    flight - a batch being acknowledged, a batch being saved and reported - finishes
    before they stop, and nothing is left half done.
    """
    stop = Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop
