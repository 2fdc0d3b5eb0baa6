"""Every stored event has a published name, and the same event always makes the same
CloudEvent."""

from __future__ import annotations

import inspect

import pytest

import crmcore.domain as domain
from adapters.relay.customer_keys import CustomerKeys
from adapters.relay.envelope import Envelopes
from adapters.relay.pii import DEFAULT_PII_RULES, PiiPolicy
from crmcore import CrmApplication, ManualClock
from crmcore.domain.base import CrmEvent
from crmcore.event_catalogue import EVENT_TYPES, UnknownEventType
from tests.conftest import all_events
from tests.relay.history import busy_history

# Bases never stored themselves; ``Created`` is eventsourcing's default creation event,
# which our aggregates replace with a named one (Registered, Joined, Started ...).
ABSTRACT = {"CrmEvent", "Event", "Created", "OwnerChanged", "OwnerRemoved"}


def event_class_topics() -> set[str]:
    """module:qualname of every event class the domain defines (eventsourcing makes
    copies of some under the same name, so names are compared, not classes)."""
    modules = [m for _, m in inspect.getmembers(domain, inspect.ismodule)]
    modules += [inspect.getmodule(c) for _, c in inspect.getmembers(domain, inspect.isclass)]
    found: set[str] = set()
    pending = [CrmEvent]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__name__ not in ABSTRACT and inspect.getmodule(cls) in modules:
            found.add(f"{cls.__module__}:{cls.__qualname__}")
    return found


def test_every_event_class_of_the_domain_has_a_published_name() -> None:
    catalogued = {entry.topic for entry in EVENT_TYPES}
    missing = event_class_topics() - catalogued
    assert not missing
    assert len(EVENT_TYPES) >= 46


def test_every_event_a_busy_history_stores_is_catalogued(
    app: CrmApplication, clock: ManualClock
) -> None:
    busy_history(app, clock)
    notifications = app.recorder.select_notifications(start=None, limit=10**6)

    for notification in notifications:
        assert EVENT_TYPES.of_topic(notification.topic).type.startswith("com.crmcore.")


def test_an_uncatalogued_event_is_refused_with_what_to_do() -> None:
    with pytest.raises(UnknownEventType, match="crm events schemas"):
        EVENT_TYPES.of_topic("crmcore.domain.customer:Customer.Teleported")


def test_the_same_history_always_makes_the_same_messages(
    app: CrmApplication, clock: ManualClock
) -> None:
    busy_history(app, clock)
    notifications = app.recorder.select_notifications(start=None, limit=10**6)

    def messages() -> list[tuple[bytes, bytes]]:
        envelopes = Envelopes(CustomerKeys(), PiiPolicy(DEFAULT_PII_RULES))
        return [
            (m.key, m.value)
            for m in (
                envelopes.message(n.topic, app.mapper.to_domain_event(n)) for n in notifications
            )
        ]

    first = messages()
    assert first == messages()
    assert len({value for _, value in first}) == len(all_events(app))
