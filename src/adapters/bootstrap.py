"""The composition root: the one place that wires settings, clock and application."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import Application

from adapters.settings import Settings
from crmcore.errors import ValidationFailed
from crmcore.personal_data import PersonalDataProtection, ProtectedApplication
from projections.personal import PersonalSeal
from projections.projection import Projection
from projections.runner import ProjectionRunner
from projections.tables import open_read_models

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from adapters.relay.relay import Relay, Sink
    from crmcore import Clock, CrmApplication

# The application's modules (the identity check, the rules, every command) and the
# views it asks are imported in ``open_application``: a command that only reads a
# view opens the log with ``log_reader`` and starts without them.


def open_application(settings: Settings, clock: Clock | None = None) -> CrmApplication:
    """An application on the store the settings name, with the rules they hold.

    Its identity check asks the persisted identity view, its ownership commands the
    ownership and sales-organisation views (all in the read-model database), each
    caught up before it answers, instead of folding the log into memory.
    """
    from crmcore import CrmApplication, SystemClock
    from projections.identity_queries import SqlCandidateSource
    from projections.sales_queries import SqlSalesQueries

    rules = settings.rules()

    def identity_view(app: CrmApplication) -> SqlCandidateSource:
        engine = open_read_models(settings.read_models_url())
        return SqlCandidateSource(
            app,
            engine,
            rules.identity.max_block_size,
            dispose=True,
            typo_block_size=rules.identity.typo_block_size,
            keys_beside=settings.read_models_beside_events,
        )

    def sales_views(app: CrmApplication) -> SqlSalesQueries:
        return SqlSalesQueries(app, open_read_models(settings.read_models_url()), dispose=True)

    def personal_views(app: CrmApplication) -> Callable[[], object]:
        """Catches up the views holding personal data (opened when first asked)."""
        from projections.registry import PERSONAL_VIEWS

        def catch_up() -> object:
            runner = open_views(settings, app, *PERSONAL_VIEWS)
            try:
                return runner.catch_up()
            finally:
                runner.engine.dispose()

        return catch_up

    return CrmApplication(
        settings.eventsourcing_env(),
        clock=clock or SystemClock(),
        config=rules,
        candidates=identity_view,
        sales=sales_views,
        protection=settings.pii.vault(),
        personal_views=personal_views,
    )


@contextmanager
def application(settings: Settings, clock: Clock | None = None) -> Iterator[CrmApplication]:
    """``open_application`` for one command's duration: closed however the block ends."""
    app = open_application(settings, clock)
    try:
        yield app
    finally:
        app.close()


class _LogReader(ProtectedApplication):
    """The store's log and nothing else: what a view's runner reads."""

    name = "crmcore"

    def __init__(self, env: dict[str, str], protection: PersonalDataProtection | None) -> None:
        self.protection = protection
        super().__init__(env)


@contextmanager
def log_reader(settings: Settings) -> Iterator[ProtectedApplication]:
    """The event log the settings name, for a command that only reads views (a list, a
    page of the pool): no rules loaded, no identity check or command model imported -
    its start-up is the view's, not the application's."""
    log = _LogReader(settings.eventsourcing_env(), settings.pii.vault())
    try:
        yield log
    finally:
        log.close()


def open_views(settings: Settings, app: Application[UUID], *views: Projection) -> ProjectionRunner:
    """The runner of ``views`` (default: every view) over ``app``'s log, in the read-model
    database the settings name. Commands catch up only the views they read."""
    if not views:
        from projections.registry import ALL_VIEWS

        views = ALL_VIEWS
    engine = open_read_models(settings.read_models_url())
    return ProjectionRunner(app, engine, views)


@contextmanager
def caught_up_views(settings: Settings, *views: Projection) -> Iterator[Engine]:
    """The read-model database with ``views`` caught up with the log, for a command that
    only reads them (a list, a report): the log alone is opened, not the application,
    so its cost is the views' lag and its query."""
    with caught_up_reads(settings, *views) as (engine, _personal):
        yield engine


@contextmanager
def caught_up_reads(
    settings: Settings, *views: Projection
) -> Iterator[tuple[Engine, PersonalSeal]]:
    """``caught_up_views``, with the seal that opens the personal values the views keep
    (a contact, a lead's name): for a command that shows them."""
    with log_reader(settings) as log:
        runner = open_views(settings, log, *views)
        try:
            runner.catch_up()
            yield runner.engine, runner.personal
        finally:
            runner.engine.dispose()


def open_relay(settings: Settings, app: CrmApplication) -> Relay:
    """The relay of ``app``'s log to the topic the settings name, at its tracked position.

    The relay's modules are imported here: only `crm relay` uses them.
    """
    from adapters.relay.positions import RelayPositions, relay_name
    from adapters.relay.relay import EnvelopeOptions, Relay

    engine = open_read_models(settings.read_models_url())
    options = EnvelopeOptions(
        settings.relay.source, settings.relay.schema_base, settings.relay.pii_policy()
    )
    positions = RelayPositions(engine, relay_name(settings.kafka_topic))
    return Relay(app, positions, options, batch_size=settings.relay.batch_size)


def required_broker(settings: Settings) -> str:
    """The configured brokers; refused, naming the setting, when there are none."""
    if not settings.kafka_bootstrap_servers:
        raise ValidationFailed(
            "kafka_bootstrap_servers",
            "no Kafka broker configured: set CRM_KAFKA_BOOTSTRAP_SERVERS or "
            "kafka_bootstrap_servers in crm.toml",
        )
    return settings.kafka_bootstrap_servers


def kafka_connector(settings: Settings) -> Callable[[], Sink]:
    """Makes producers for the configured broker; refuses when none is configured.

    kafka-python is imported here, not at start-up: only the relay needs it.
    """
    from adapters.relay.kafka_sink import KafkaSink, ProducerOptions

    options = ProducerOptions(
        required_broker(settings),
        linger_ms=settings.relay.linger_ms,
        delivery_timeout_s=settings.relay.delivery_timeout_s,
    )
    return lambda: KafkaSink(settings.kafka_topic, options)
