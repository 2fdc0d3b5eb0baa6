"""The packages that export lazily (``crmcore``, ``crmcore.domain``,
``crmcore.identity``) export exactly what ``__all__`` names, each from the module their
map says: a name added to one list and not the other would fail only at its first use."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

import crmcore
import crmcore.domain
import crmcore.identity


@pytest.mark.parametrize(
    "package", [crmcore, crmcore.domain, crmcore.identity], ids=lambda p: p.__name__
)
def test_every_public_name_resolves_from_the_module_the_map_names(package: ModuleType) -> None:
    home: dict[str, str] = package._HOME
    submodules = {name for name in package.__all__ if name not in home}
    assert submodules <= {"customer_merges"}  # a submodule, imported by its own name
    assert set(package.__all__) - submodules == set(home)
    for name, module in home.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        package.nothing_here  # noqa: B018
