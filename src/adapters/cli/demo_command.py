"""``crm demo``: the main job in one command, on a realistic data set.

Registers a Chinese B2B customer book and the re-entries reps make of it through
the real command path (parse -> validate -> batched atomic saves), then races
eight processes on one phone, and shows what was created, blocked and why.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from adapters.bootstrap import open_application
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from adapters.demo_data import DemoDataset, DemoRecord, generate
from adapters.demo_race import race, typed_phone
from crmcore import CrmApplication, RegisterCustomer, ValidationFailed, parse_command

RACERS = 8


def demo(
    customers: Annotated[int, typer.Option(min=10, max=200_000,
                                           help="Distinct customers to generate.")] = 3000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 20261123,
    fresh: Annotated[bool, typer.Option("--fresh",
                                        help="Delete the database file first.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Generate a realistic customer book with duplicates and register it."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, "demo")
        if fresh:
            _delete_store(settings.db)
        dataset = generate(customers, seed)
        app = open_application(settings)
        try:
            earlier = len(app.recorder.select_notifications(start=None, limit=1))
            if earlier and not json_output:
                console.print(f"[yellow]{settings.db} already holds events: rows that match "
                              "them will be blocked too (use --fresh to start over).[/]")
            report = _register(app, dataset, settings.actor, settings.identity.default_phone_region,
                               settings.registration.batch_size, quiet=json_output)
            # A phone no earlier run raced on: the log only grows, so its last id is new.
            race_round = app.recorder.max_notification_id() or 0
            report["race"] = _race(settings.eventsourcing_env(), race_round)
        finally:
            app.close()
        report["db"] = str(settings.db)
        if json_output:
            print_json(report)
        else:
            _show(report)


def _register(app: CrmApplication, data: DemoDataset, actor: str, region: str,
              batch_size: int, *, quiet: bool) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    valid: list[tuple[int, RegisterCustomer]] = []
    started = time.perf_counter()
    for number, record in enumerate(data.rows, start=1):
        try:
            valid.append((number, parse_command(
                RegisterCustomer, {"actor": actor, **record.fields}, phone_region=region)))
        except ValidationFailed as error:
            rows.append(_row(number, record, "invalid", field=error.field, reason=error.reason))
    names: dict[str, str] = {}
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  disable=quiet) as progress:
        task = progress.add_task("registering", total=len(valid))
        for start in range(0, len(valid), batch_size):
            batch = valid[start:start + batch_size]
            results = app.register_customers([command for _, command in batch])
            for (number, command), result in zip(batch, results, strict=True):
                record = data.rows[number - 1]
                if result.refusal is None:
                    names[str(result.customer_id)] = command.company_name or ""
                    rows.append(_row(number, record, "created", customer_id=result.customer_id))
                else:
                    existing = str(result.refusal.existing_customer_id)
                    rows.append(_row(number, record, "blocked", customer_id=existing,
                                     key=result.refusal.key, reason=str(result.refusal)))
            progress.advance(task, len(batch))
    seconds = time.perf_counter() - started
    for row in rows:
        if row["outcome"] == "blocked":
            row["existing_company"] = names.get(row["customer_id"], "(earlier run)")
    outcomes = Counter(row["outcome"] for row in rows)
    return {
        "rows": len(data.rows),
        "distinct_customers": len(data.originals),
        "seconds": round(seconds, 3),
        "rows_per_second": round(len(data.rows) / seconds, 1),
        "outcomes": dict(outcomes),
        "blocked_by_key_kind": dict(Counter(r["key"].split(":")[0] for r in rows
                                            if r["outcome"] == "blocked")),
        "invalid_by_field": dict(Counter(r["field"] for r in rows if r["outcome"] == "invalid")),
        "planted_exact_key_duplicates": sum(r.exact_key_duplicate for r in data.rows),
        "planted_name_only_duplicates": sum(r.variation == "name_only" for r in data.rows),
        "details": sorted(rows, key=lambda r: r["row"]),
    }


def _row(number: int, record: DemoRecord, outcome: str, **extra: Any) -> dict[str, Any]:
    return {"row": number, "variation": record.variation, "outcome": outcome,
            "company_name": record.fields.get("company_name"),
            **{k: (str(v) if k == "customer_id" else v) for k, v in extra.items()}}


def _race(env: dict[str, str], round_no: int) -> dict[str, Any]:
    entries = race(env, RACERS, range(round_no, round_no + 1))
    winners = [e for e in entries if e.outcome == "created"]
    return {
        "phone": typed_phone(round_no, 0),
        "processes": RACERS,
        "created": len(winners),
        "blocked": sum(e.outcome == "blocked" for e in entries),
        "entries": [{"rep": f"rep-{e.worker + 1}", "typed": e.typed, "outcome": e.outcome,
                     "customer_id": e.customer_id}
                    for e in sorted(entries, key=lambda e: e.worker)],
    }


def _delete_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _show(report: dict[str, Any]) -> None:
    outcomes = report["outcomes"]
    console.print(
        f"\n[bold]{report['rows']:,} rows[/] ({report['distinct_customers']:,} customers, "
        f"{report['planted_exact_key_duplicates']:,} re-entries sharing a key, "
        f"{report['planted_name_only_duplicates']:,} sharing only a name, and some bad rows) "
        f"registered into {report['db']} in {report['seconds']:.2f} s "
        f"({report['rows_per_second']:,.0f} rows/s)\n")
    summary = Table("outcome", "rows", "why", title="What happened")
    summary.add_row("[green]created[/]", f"{outcomes.get('created', 0):,}", "new customers")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(report["blocked_by_key_kind"].items()))
    summary.add_row("[red]blocked[/]", f"{outcomes.get('blocked', 0):,}",
                    f"an identity key already belongs to a customer ({kinds})")
    fields = ", ".join(f"{k} {n}" for k, n in sorted(report["invalid_by_field"].items()))
    summary.add_row("[yellow]invalid[/]", f"{outcomes.get('invalid', 0):,}",
                    f"refused before any event, naming the field ({fields})")
    console.print(summary)
    _show_examples(report["details"])
    console.print(
        f"[dim]{report['planted_name_only_duplicates']} re-entries share no key with their "
        "original (a company name typed again from memory); exact keys cannot see those - "
        "fuzzy, pinyin and homophone matching is the identity pipeline's job.[/]\n")
    r = report["race"]
    race_table = Table("rep", "typed", "outcome", "customer",
                       title=f"{r['processes']} processes register one mobile at the same instant")
    for e in r["entries"]:
        colour = "green" if e["outcome"] == "created" else "red"
        race_table.add_row(e["rep"], e["typed"], f"[{colour}]{e['outcome']}[/]",
                           e["customer_id"][:8])
    console.print(race_table)
    console.print(f"[bold]{r['created']} customer[/], {r['blocked']} refusals naming it.")


def _show_examples(details: list[dict[str, Any]]) -> None:
    blocked = [d for d in details if d["outcome"] == "blocked"]
    seen: set[str] = set()
    table = Table("row", "typed as", "matched key", "belongs to", title="Blocked, for example")
    for d in blocked:
        kind = d["key"].split(":")[0]
        if kind in seen:
            continue
        seen.add(kind)
        table.add_row(str(d["row"]), d["company_name"] or "", d["key"],
                      f"{d['existing_company']} ({d['customer_id'][:8]})")
    console.print(table)
    invalid = [d for d in details if d["outcome"] == "invalid"][:3]
    bad = Table("row", "field", "reason", title="Invalid, for example")
    for d in invalid:
        bad.add_row(str(d["row"]), d["field"], d["reason"])
    console.print(bad)
