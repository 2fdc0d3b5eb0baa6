"""The published JSON Schemas in docs/events/: written from the event classes, and checked.

A schema file is a promise to consumers. ``check`` compares the files with what the
event classes generate now: a difference a consumer would notice (a field gone, a type
changed, a field no longer always present) is an incompatible change and needs a new
``class_version`` (and an upcaster), which publishes a new file next to the old one. A
compatible difference (a new field; a reworded description) only needs regenerating.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.relay.defaults import DEFAULT_SCHEMA_BASE
from adapters.relay.envelope import dataschema_of
from adapters.relay.event_data import data_schema
from crmcore.event_catalogue import EVENT_TYPES, TYPE_PREFIX, Catalogue

SCHEMA_SUFFIX = ".json"
_WORDING = frozenset({"title", "description"})


def generated_schemas(catalogue: Catalogue = EVENT_TYPES) -> dict[str, dict[str, Any]]:
    """File name -> schema, for every published type at its current version."""
    return {
        f"{entry.type}{SCHEMA_SUFFIX}": data_schema(
            entry, dataschema_of(entry, DEFAULT_SCHEMA_BASE)
        )
        for entry in catalogue
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path, catalogue: Catalogue = EVENT_TYPES) -> list[str]:
    """Writes the current schemas; files of earlier versions stay (old messages use
    them). Returns the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generated_schemas(catalogue).items():
        path = folder / name
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    return written


@dataclass
class SchemaCheck:
    """How docs/events/ differs from the event classes."""

    incompatible: dict[str, list[str]] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.incompatible or self.stale or self.missing or self.removed)

    def problems(self) -> list[str]:
        lines = [
            f"{name} changed incompatibly without a version bump: {'; '.join(why)} "
            "(raise the event class's class_version and add an upcaster)"
            for name, why in sorted(self.incompatible.items())
        ]
        lines += [f"{name} is out of date: run `crm events schemas`" for name in self.stale]
        lines += [f"{name} is missing: run `crm events schemas`" for name in self.missing]
        lines += [
            f"{name} is published but no event class has that type any more"
            for name in self.removed
        ]
        return lines


def check(folder: Path, catalogue: Catalogue = EVENT_TYPES) -> SchemaCheck:
    """Compares the schema files in ``folder`` with the event classes."""
    result = SchemaCheck()
    current = generated_schemas(catalogue)
    for name, schema in current.items():
        path = folder / name
        if not path.exists():
            result.missing.append(name)
            continue
        published = json.loads(path.read_text(encoding="utf-8"))
        breaks = incompatibilities(published, schema)
        if breaks:
            result.incompatible[name] = breaks
        elif render(published) != render(schema):
            result.stale.append(name)
    current_versions = {_unversioned(name): _version(name) for name in current}
    for path in sorted(folder.glob(f"{TYPE_PREFIX}*{SCHEMA_SUFFIX}")):
        if path.name in current:
            continue
        newer = current_versions.get(_unversioned(path.name), 0) > _version(path.name)
        if not newer:
            result.removed.append(path.name)
    return result


def incompatibilities(old: dict[str, Any], new: dict[str, Any], at: str = "") -> list[str]:
    """What a consumer validating with ``old`` would trip over in data made by ``new``.

    >>> old = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    >>> incompatibilities(old, {**old, "properties": {"a": {"type": "string"}, "b": {}}})
    []
    >>> incompatibilities(old, {"type": "object", "properties": {}, "required": []})
    ['a was removed', 'a is no longer always present']
    """
    breaks: list[str] = []
    if "properties" in old and "properties" in new:
        for name, prop in old["properties"].items():
            if name not in new["properties"]:
                breaks.append(f"{at}{name} was removed")
            else:
                breaks += incompatibilities(prop, new["properties"][name], f"{at}{name}.")
        for name in old.get("required", []):
            if name not in new.get("required", []):
                breaks.append(f"{at}{name} is no longer always present")
        for name, definition in old.get("$defs", {}).items():
            if name not in new.get("$defs", {}):
                breaks.append(f"{at}$defs.{name} was removed")
            else:
                breaks += incompatibilities(definition, new["$defs"][name], f"{at}{name}.")
        rest_old, rest_new = (
            _without(old, {"properties", "required", "$defs", "$id"}),
            _without(new, {"properties", "required", "$defs", "$id"}),
        )
    else:
        rest_old, rest_new = old, new
    if _wording_free(rest_old) != _wording_free(rest_new):
        breaks.append(f"{at.rstrip('.') or 'the event'} changed its type or constraints")
    return breaks


def _without(schema: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in keys}


def _wording_free(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _wording_free(v) for k, v in value.items() if k not in _WORDING}
    if isinstance(value, list):
        return [_wording_free(item) for item in value]
    return value


def _unversioned(file_name: str) -> str:
    return file_name.removesuffix(SCHEMA_SUFFIX).rpartition(".v")[0]


def _version(file_name: str) -> int:
    return int(file_name.removesuffix(SCHEMA_SUFFIX).rpartition(".v")[2])


CATALOGUE_START = "<!-- published-types:start (written by `crm events schemas`) -->"
CATALOGUE_END = "<!-- published-types:end -->"


def catalogue_table(catalogue: Catalogue = EVENT_TYPES) -> str:
    """The markdown table of published types that docs/events.md carries."""
    rows = [
        "| CloudEvents `type` | stored class | subject | Kafka key | schema |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in catalogue:
        key = (
            f"`{entry.customer_field}` (or its survivor)"
            if entry.customer_field
            else "`originator_id`"
        )
        rows.append(
            f"| `{entry.type}` | `{entry.topic}` | {entry.subject_kind} | {key} "
            f"| [schema](events/{entry.type}{SCHEMA_SUFFIX}) |"
        )
    return "\n".join([CATALOGUE_START, *rows, CATALOGUE_END])


def with_catalogue(markdown: str, catalogue: Catalogue = EVENT_TYPES) -> str:
    """``markdown`` with its published-types table replaced by the current one."""
    start, end = markdown.find(CATALOGUE_START), markdown.find(CATALOGUE_END)
    if start < 0 or end < start:
        raise ValueError(f"the catalogue has no {CATALOGUE_START} ... {CATALOGUE_END} section")
    return markdown[:start] + catalogue_table(catalogue) + markdown[end + len(CATALOGUE_END) :]
