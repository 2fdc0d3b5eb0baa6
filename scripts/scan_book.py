"""A labelled legacy book for the duplicate-scan benchmark, filed into an identity view.

Every row of a generated data set (originals, re-entries of every variation kind, hard
non-duplicates) becomes a customer, as if imported before any rule existed: the book
the batch scan is for. Each customer's profile is filed into the identity view the way
catch-up files a registration (``identity_book.IndexFiler``); the labels - which
real-world company each customer was made from - go to ``labels.tsv`` beside it, and
the rows themselves to ``rows.jsonl`` (the Splink baseline reads those).

Profiles are built in a pool of worker processes (pypinyin and OpenCC are the dear
part); the filing is one writer, as the view has.
"""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path

from adapters.demo_data import generate
from crmcore import RegisterCustomer, ValidationFailed, parse_command
from crmcore.config import IdentityConfig
from crmcore.identity.candidates import IndexEntry
from crmcore.identity.filing import record_profile
from crmcore.identity.profile import MatchProfile
from identity_book import IndexFiler


def _profile(line: str) -> tuple[str, MatchProfile] | None:
    """(the row's line, its profile), or None for a row the command refuses."""
    row = json.loads(line)
    try:
        command = parse_command(RegisterCustomer, {"actor": "bench", **row["fields"]})
    except ValidationFailed:
        return None
    return line, record_profile(command.record())


def _write_rows(path: Path, customers: int, seed: int) -> None:
    data = generate(customers, seed)
    with path.open("w", encoding="utf-8") as out:
        for record in data.rows:
            if record.variation == "invalid":
                continue
            row = {"entity": record.entity, "variation": record.variation,
                   "fields": record.fields}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(folder: Path, customers: int, seed: int) -> None:
    """Writes ``rows.jsonl``, ``views.db`` and ``labels.tsv`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = folder / "rows.jsonl"
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_write_rows, args=(rows, customers, seed))
    child.start()
    child.join()
    filer = IndexFiler("sqlite", folder, IdentityConfig())
    with rows.open(encoding="utf-8") as lines, context.Pool() as pool, (
        folder / "labels.tsv"
    ).open("w", encoding="utf-8") as labels:
        for done in pool.imap(_profile, lines, chunksize=500):
            if done is None:
                continue
            line, profile = done
            row = json.loads(line)
            customer = uuid.uuid4()
            filer.file(IndexEntry(customer, customer, profile))
            labels.write(f"{customer}\t{row['entity']}\t{row['variation']}\n")
        filer.flush()
    filer.engine.dispose()
    (folder / "book.json").write_text(json.dumps({"customers": customers, "seed": seed}))


def labels(folder: Path) -> Iterator[tuple[str, int, str]]:
    """(customer id, entity, variation) of every customer of the book."""
    with (folder / "labels.tsv").open(encoding="utf-8") as lines:
        for line in lines:
            customer, entity, variation = line.rstrip("\n").split("\t")
            yield customer, int(entity), variation
