"""The one-way house, checked on the source: no import cycle anywhere in ``src/``, and
each layer imports only the layers below it.

Read statically (``ast``), so an import inside a function or under ``TYPE_CHECKING``
counts as much as one at the top: a cycle hidden behind a lazy import is still a
cycle a reader has to untangle. Layers, top to bottom: ``adapters`` (CLI, persistence,
Kafka, files) → ``projections`` (the views) → ``crmcore`` (the domain and its
handlers). Inside ``crmcore``, only the facade (``crmcore.application``) and the
package's lazy export table know the facade: handlers take narrow ports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module of ``src`` that ``module`` imports, wherever the statement is."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}"
                elif target in MODULES:
                    yield target


GRAPH = {module: sorted(set(_imports(module, path)) - {module}) for module, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return components


def test_the_graph_is_read_from_the_source() -> None:
    # The checks below mean nothing if the reader found no edges.
    assert "crmcore.customers.ports" in GRAPH["crmcore.customers.registration"]
    assert "crmcore.audit.api" in GRAPH["crmcore.application"]
    assert "crmcore.orders.api" in GRAPH["crmcore.audit.api"]
    assert "crmcore.ownership.api" in GRAPH["crmcore.opportunities.api"]
    assert len(MODULES) > 100


def test_no_import_cycle_in_src() -> None:
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    GRAPH["crmcore.clock"] = [*GRAPH["crmcore.clock"], "crmcore.application"]
    try:
        assert any("crmcore.clock" in cycle for cycle in _cycles())
    finally:
        GRAPH["crmcore.clock"] = GRAPH["crmcore.clock"][:-1]


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_each_layer_imports_only_the_layers_below_it() -> None:
    allowed = {
        "crmcore": {"crmcore"},
        "projections": {"projections", "crmcore"},
        "adapters": {"adapters", "projections", "crmcore"},
    }
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(module) in allowed and _layer(target) not in allowed[_layer(module)]
    ]
    assert wrong == []


def test_the_domain_imports_no_database_broker_or_cli_library() -> None:
    outside = ("sqlalchemy", "kafka", "typer", "rich", "click", "duckdb", "psycopg")
    wrong = []
    for module, path in MODULES.items():
        if _layer(module) != "crmcore":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            wrong += [f"{module} imports {n}" for n in names if n.split(".")[0] in outside]
    assert wrong == []


def test_only_the_facade_knows_the_facade() -> None:
    knows = sorted(
        module
        for module, targets in GRAPH.items()
        if _layer(module) == "crmcore" and "crmcore.application" in targets
    )
    # The package itself re-exports it (lazily; the import is for type checkers).
    assert knows == ["crmcore"]
