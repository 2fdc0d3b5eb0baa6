"""The composition root: the one place that wires settings, clock and application."""

from __future__ import annotations

from adapters.settings import Settings
from crmcore import Clock, CrmApplication, SystemClock


def open_application(settings: Settings, clock: Clock | None = None) -> CrmApplication:
    """An application on the store the settings name, with the rules they hold."""
    return CrmApplication(
        settings.eventsourcing_env(), clock=clock or SystemClock(), config=settings.rules()
    )
