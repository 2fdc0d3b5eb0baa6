"""The ``crm`` catalogue: every line ``crm --help`` shows opens the command it names,
and listing the commands imports none of them (start-up stays cheap)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adapters.cli.main import CATALOGUE, load


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _fresh_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` run in a new interpreter: which modules an import pulled in can only
    be seen in a process that imported nothing before."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True, timeout=60)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_entry_loads_the_command_its_summary_describes(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert _words(command.help).startswith(_words(CATALOGUE[name].summary))


def test_listing_the_commands_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from adapters.cli.main import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('crmcore', 'sqlalchemy', 'pypinyin', 'opencc', 'kafka', 'pydantic',\n"
        "         'eventsourcing', 'adapters.cli.customer_commands')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    done = _fresh_python(probe)
    assert "claim" in done.stdout
    assert done.stderr.strip() == "[]"


_SUBCOMMANDS = (
    "import sys, json, importlib, typer\n"
    "from adapters.cli.main import CATALOGUE\n"
    "name, extension = sys.argv[1], sys.argv[2]\n"
    "entry = CATALOGUE[name]\n"
    "group = getattr(importlib.import_module('adapters.cli.' + entry.module), entry.attribute)\n"
    "before = set(typer.main.get_group(group).commands)\n"
    "importlib.import_module('adapters.cli.' + extension)\n"
    "print(json.dumps(sorted(set(typer.main.get_group(group).commands) - before)))\n"
)


@pytest.mark.parametrize(
    ("name", "extension"),
    [(name, ext) for name, entry in CATALOGUE.items() for ext in entry.extends],
)
def test_each_extension_adds_the_subcommands_the_catalogue_says(name: str, extension: str) -> None:
    listed = json.loads(_fresh_python(_SUBCOMMANDS, name, extension).stdout)
    assert listed == sorted(CATALOGUE[name].extends[extension])


def test_a_subcommand_loads_only_the_module_that_adds_it() -> None:
    assert "owner" in load("customer", "owner").commands
    probe = (
        "import sys\n"
        "from adapters.cli.main import load\n"
        "group = load('customer', 'list')\n"
        "print(sorted(group.commands))\n"
        "print(sorted(m for m in sys.modules if m.startswith('adapters.cli.')))\n"
    )
    commands, modules = _fresh_python(probe).stdout.splitlines()
    assert "list" in commands
    assert "merge" not in commands
    assert "merge_commands" not in modules
    assert "ownership_commands" not in modules
    # A misspelt subcommand loads every extension, so the suggestion can name one.
    assert "merge" in load("customer", "merg").commands
