"""The composition root: the one place that wires settings, clock and application."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.settings import Settings
from crmcore import Clock, CrmApplication, SystemClock


def open_application(settings: Settings, clock: Clock | None = None) -> CrmApplication:
    """An application on the store the settings name, with the rules they hold."""
    return CrmApplication(
        settings.eventsourcing_env(), clock=clock or SystemClock(), config=settings.rules()
    )


@contextmanager
def application(settings: Settings, clock: Clock | None = None) -> Iterator[CrmApplication]:
    """``open_application`` for one command's duration: closed however the block ends."""
    app = open_application(settings, clock)
    try:
        yield app
    finally:
        app.close()
