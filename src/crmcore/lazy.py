"""Package exports imported on first use (PEP 562), so importing a light module of a
package does not import the package's heavy ones.

``crmcore`` re-exports the whole application and ``crmcore.identity`` the normalisers
(phonenumbers, email-validator, python-stdnum); a `crm` command that needs only the
settings would otherwise pay for all of them at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], home: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public names live in
    the modules ``home`` maps them to; a name found is kept in ``namespace``."""

    def getattr_(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *home])

    return getattr_, dir_
