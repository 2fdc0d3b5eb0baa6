"""The published JSON Schemas match the event classes, and an incompatible change
without a version bump is caught."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.relay.schemas import check, render, with_catalogue, write_schemas
from crmcore.domain import Customer
from crmcore.event_catalogue import EVENT_TYPES, Catalogue, EventType

DOCS = Path(__file__).parents[2] / "docs"
REGISTERED = "com.crmcore.customer.registered.v1.json"


def published_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "events"
    shutil.copytree(DOCS / "events", folder)
    return folder


def edit(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(render(schema), encoding="utf-8")


def test_the_published_schemas_match_the_event_classes() -> None:
    result = check(DOCS / "events")
    assert result.ok, result.problems()


def test_the_catalogue_lists_every_published_type() -> None:
    markdown = (DOCS / "events.md").read_text(encoding="utf-8")
    assert with_catalogue(markdown) == markdown
    for entry in EVENT_TYPES:
        assert f"`{entry.type}`" in markdown


def test_a_field_removed_without_a_version_bump_is_an_incompatible_change(
    tmp_path: Path,
) -> None:
    folder = published_copy(tmp_path)
    # As if the class had lost ``fax``: the published schema has it, the class does not.
    edit(folder / REGISTERED, lambda s: (s["properties"].update(fax={"type": "string"}),
                                         s["required"].append("fax")))

    result = check(folder)

    assert list(result.incompatible) == [REGISTERED]
    assert "fax was removed" in result.problems()[0]
    assert "class_version" in result.problems()[0]


def test_a_retyped_field_is_an_incompatible_change(tmp_path: Path) -> None:
    folder = published_copy(tmp_path)
    edit(folder / REGISTERED, lambda s: s["properties"].update(phones={"type": "string"}))

    assert "phones changed its type or constraints" in check(folder).incompatible[REGISTERED][0]


def test_a_field_added_is_compatible_and_only_needs_regenerating(tmp_path: Path) -> None:
    folder = published_copy(tmp_path)
    edit(folder / REGISTERED, lambda s: (s["properties"].pop("external_id"),
                                         s["required"].remove("external_id")))

    result = check(folder)

    assert not result.incompatible
    assert result.stale == [REGISTERED]
    write_schemas(folder)
    assert check(folder).ok


def test_a_version_bump_publishes_a_new_schema_and_keeps_the_old_one(tmp_path: Path) -> None:
    folder = published_copy(tmp_path)

    class RegisteredV2(Customer.Registered):
        class_version = 2

    bumped = Catalogue(
        *(e for e in EVENT_TYPES if e.name != "customer.registered"),
        EventType(RegisteredV2, "customer.registered", "customer", "originator_id"),
    )
    assert "com.crmcore.customer.registered.v2.json" in check(folder, bumped).missing

    write_schemas(folder, bumped)

    assert check(folder, bumped).ok
    assert (folder / REGISTERED).exists()


def test_a_published_type_that_disappears_is_reported(tmp_path: Path) -> None:
    folder = published_copy(tmp_path)
    (folder / "com.crmcore.customer.teleported.v1.json").write_text("{}", encoding="utf-8")

    assert check(folder).removed == ["com.crmcore.customer.teleported.v1.json"]
