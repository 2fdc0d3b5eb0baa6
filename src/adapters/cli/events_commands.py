"""``crm events tail|schemas``: read the published events back; publish their schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.bootstrap import required_broker
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import EXIT_FAILED, console, err_console, print_json, reporting_errors
from adapters.cli.signals import stop_requested
from adapters.relay.schemas import check, with_catalogue, write_schemas
from crmcore.errors import ValidationFailed

events_app = typer.Typer(
    help="The published events: read them, document them.", no_args_is_help=True
)

SchemaFolder = Annotated[
    Path, typer.Option("--out", help="Folder of the schema files.", file_okay=False)
]
CatalogueFile = Annotated[
    Path, typer.Option("--catalogue", help="Markdown catalogue with the published-types table.")
]


@events_app.command("tail")
def tail(
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest message kept.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many events.")] = None,
    idle_timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Stop when nothing arrived for this long (s).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="One CloudEvent JSON document per line.")
    ] = False,
) -> None:
    """Consume the topic, parse each message with the CloudEvents SDK, drop resends (same
    id), and print: the consumer side of the relay's at-least-once delivery."""
    from cloudevents.core.formats.json import JSONFormat

    from adapters.relay.tail import EventTail

    json_format = JSONFormat()

    with reporting_errors(json_output):
        settings = settings_from(db, config)
        brokers = required_broker(settings)
        stop = stop_requested()
        consumer = EventTail(brokers, settings.kafka_topic, from_beginning=from_beginning)
        count = 0
        try:
            for event in consumer.events(stop, idle_timeout):
                count += 1
                if json_output:
                    print(json_format.write(event).decode(), flush=True)
                else:
                    print(f"{event.get_time()}  {event.get_type()}  {event.get_subject()}")
                if limit is not None and count >= limit:
                    break
        finally:
            consumer.close()
        err_console.print(f"{count} events, {consumer.duplicates} resends dropped")


@events_app.command("schemas")
def schemas(
    out: SchemaFolder = Path("docs/events"),
    catalogue: CatalogueFile = Path("docs/events.md"),
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Only compare; exit 1 on any difference."),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Write a JSON Schema per published event type and version into --out, and the
    table of types into --catalogue. Refuses an incompatible change of a published
    version: that needs a new class_version."""
    with reporting_errors(json_output):
        result = check(out)
        problems = result.problems()
        markdown = catalogue.read_text(encoding="utf-8") if catalogue.exists() else None
        try:
            table = with_catalogue(markdown) if markdown is not None else None
        except ValueError as error:
            raise ValidationFailed("catalogue", str(error)) from None
        table_stale = table != markdown
        if check_only or result.incompatible or result.removed:
            if table_stale:
                problems.append(f"{catalogue} is out of date: run `crm events schemas`")
            if json_output:
                print_json({"problems": problems})
            elif problems:
                for line in problems:
                    err_console.print(line)
            else:
                console.print(f"{out} matches the event classes")
            if problems:
                raise typer.Exit(EXIT_FAILED)
            return
        written = write_schemas(out)
        if table is not None and table_stale:
            catalogue.write_text(table, encoding="utf-8")
        if json_output:
            print_json({"written": written, "catalogue_updated": table_stale})
            return
        console.print(f"{len(written)} schema files written to {out}")
        if table_stale:
            console.print(f"{catalogue} updated")
