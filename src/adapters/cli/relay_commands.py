"""``crm relay run|status``: publish the event log to Kafka, and see how far it got."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.bootstrap import application, kafka_connector, open_relay
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, err_console, print_json, reporting_errors
from adapters.cli.signals import stop_requested
from adapters.relay.relay import DeliveryFailed, RelayReport

relay_app = typer.Typer(
    help="Publish every stored event to Kafka as CloudEvents JSON.", no_args_is_help=True
)


@relay_app.command("run")
def run_relay(
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Publish what is recorded now, then stop (exit 1 if the broker fails; "
            "the position stays at the last acknowledged batch).",
        ),
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Publish every event after the relay's position, then keep following the log
    (until Ctrl-C or SIGTERM, which finish the batches in flight). A broker outage is
    waited out: the relay retries from its position, so nothing is lost."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        connect = kafka_connector(settings)
        stop = stop_requested()
        with application(settings) as app:
            relay = open_relay(settings, app)
            total = relay.run(
                connect,
                stop,
                poll_interval_s=settings.relay.poll_interval_s,
                once=once,
                on_batch=None if json_output else _progress,
                on_failure=None if json_output else _failure,
            )
            status = relay.status(settings.kafka_topic)
        if json_output:
            print_json({"sent": total.sent, "batches": total.batches, **status.to_dict()})
            return
        console.print(
            f"sent {total.sent} events to {status.topic} in {total.batches} batches; "
            f"position {status.position}, lag {status.lag}"
        )


def _progress(report: RelayReport) -> None:
    console.print(f"  acknowledged {report.sent} events, position {report.position}")


def _failure(failure: DeliveryFailed, retry_in: float) -> None:
    err_console.print(f"[yellow]broker:[/] {failure}; retrying from the position in {retry_in:g} s")


@relay_app.command("status")
def relay_status(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """The relay's position (last notification id the broker acknowledged), the last
    recorded one, and how many events are not yet published. Needs no broker."""
    with reporting_errors(json_output):
        settings = settings_from(db, config)
        with application(settings) as app:
            status = open_relay(settings, app).status(settings.kafka_topic)
        if json_output:
            print_json(status.to_dict())
            return
        console.print(f"topic          {status.topic}")
        console.print(f"position       {status.position if status.position is not None else '-'}")
        console.print(f"last recorded  {status.last_recorded}")
        console.print(f"lag            {status.lag} events")
